"""What journeys' actions take as input (the API and the console both build these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loyaldesk.journeys.vocab import MessageCategory, RulePurpose


class RuleIn(BaseModel):
    """A rule as a store writes it: trigger, conditions and steps as JSON (``journeys.rules.definition``
    checks them as a whole at save)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    purpose: RulePurpose = RulePurpose.JOURNEY
    category: MessageCategory = MessageCategory.MARKETING
    trigger: dict[str, Any]
    conditions: dict[str, Any] = Field(default_factory=lambda: {"all": []})
    steps: list[dict[str, Any]]
    holdout_percent: int = Field(default=0, ge=0, le=50)
    reentry: Literal["per_occurrence", "once"] = "per_occurrence"
    conversion_days: int = Field(default=7, ge=1, le=90)
    enabled: bool = False


class CustomEventIn(BaseModel):
    """An event from the store's own site or app, about one customer (by loyaldesk id or the store's)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_.\-]{1,50}$", description="cart_abandoned, product_viewed, ...")
    customer_id: int | None = None
    customer_external_id: str | None = Field(default=None, min_length=1, max_length=255)
    properties: dict[str, Any] = Field(default_factory=dict)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["email", "sms", "push", "widget"]
    granted: bool
    source: str = Field(default="api", min_length=1, max_length=64)
