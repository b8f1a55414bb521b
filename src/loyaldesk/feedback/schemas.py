"""What feedback's actions take: a survey as a store writes it (the console's builder and the API)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from loyaldesk.feedback.vocab import SurveyChannel, SurveyKind


class SurveyIn(BaseModel):
    """A survey. ``questions`` None: the kind's default questions (``default_surveys``), in
    ``languages``. ``trigger``: when it asks on its own (``rules.triggers``); ``{"kind": "api"}`` asks only
    when the store's site or app asks through the API. Points for answering come from the loyalty
    program's "survey" action, and for a product review with words its "review" action (their points,
    caps and limits are the program's)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: SurveyKind
    languages: list[str] = Field(default_factory=lambda: ["en"])
    questions: list[dict[str, Any]] | None = None
    trigger: dict[str, Any] = Field(default_factory=lambda: {"kind": "api"})
    channel: SurveyChannel = SurveyChannel.EMAIL
    template_key: str | None = Field(default=None, max_length=64)


class AskIn(BaseModel):
    """Ask one customer a survey from the store's site or app (the API): by loyaldesk id or the store's
    own id; the order or conversation it is about."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    customer_external_id: str | None = Field(default=None, max_length=255)
    channel: SurveyChannel = SurveyChannel.API
    order_id: int | None = Field(default=None, ge=1, le=2**62)
    conversation_id: int | None = Field(default=None, ge=1, le=2**62)

    @model_validator(mode="after")
    def _one_customer(self) -> AskIn:
        if (self.customer_id is None) == (self.customer_external_id is None):
            raise ValueError("name the customer by customer_id or customer_external_id (one of them)")
        return self
