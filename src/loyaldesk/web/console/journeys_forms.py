"""The forms of the journeys pages (see ``forms.py``): the rule editor (settings as inputs; trigger,
conditions and steps as JSON text), the campaign form (no JSON) and the messaging settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.json_schema import JsonDict

from loyaldesk.journeys.vocab import Channel, MessageCategory, RulePurpose
from loyaldesk.web.console.forms import ConsoleForm

PURPOSES: JsonDict = {
    RulePurpose.JOURNEY.value: "Journey",
    RulePurpose.SUPPORT.value: "Support automation",
    RulePurpose.CAMPAIGN.value: "Campaign",
}
CATEGORIES: JsonDict = {
    MessageCategory.MARKETING.value: "Marketing: needs consent, capped, only in waking hours",
    MessageCategory.TRANSACTIONAL.value: "Transactional: about an order or the account, never capped",
    MessageCategory.SUPPORT.value: "Support: about a conversation, never capped",
}
CHANNELS: JsonDict = {
    Channel.EMAIL.value: "Email",
    Channel.SMS.value: "SMS",
    Channel.PUSH.value: "Web push",
    Channel.WIDGET.value: "Chat widget message",
}
JSON_INPUTS = ("trigger", "conditions", "steps")


class RuleForm(ConsoleForm):
    """A rule as the editor shows it."""

    name: str = Field(title="Name", min_length=1, max_length=200)
    description: str = Field(
        default="", title="Description", max_length=2000, json_schema_extra={"widget": "textarea"}
    )
    purpose: RulePurpose = Field(
        default=RulePurpose.JOURNEY, title="Listed under", json_schema_extra={"x-labels": PURPOSES}
    )
    category: MessageCategory = Field(
        default=MessageCategory.MARKETING,
        title="Kind of messages",
        json_schema_extra={"x-labels": CATEGORIES},
    )
    holdout_percent: int = Field(
        default=0,
        ge=0,
        le=50,
        title="Holdout (%)",
        description="This share of customers is never contacted, to measure what the rule changes.",
    )
    reentry: Literal["per_occurrence", "once"] = Field(
        default="per_occurrence",
        title="A customer may enter",
        json_schema_extra={
            "x-labels": {"per_occurrence": "Each time it happens", "once": "Once, ever"},
            "choices": {"per_occurrence": "Each time it happens", "once": "Once, ever"},
        },
    )
    conversion_days: int = Field(
        default=7,
        ge=1,
        le=90,
        title="Count an order as converted within (days)",
    )
    enabled: bool = Field(default=False, title="On")
    trigger: str = Field(default="", title="Trigger (JSON)", max_length=20_000)
    conditions: str = Field(default="", title="Conditions (JSON)", max_length=50_000)
    steps: str = Field(default="", title="Steps (JSON)", max_length=100_000)


AUDIENCES: JsonDict = {
    "all": "Every customer who agreed to receive it",
    "tier": "Members of a tier",
    "segment": "An RFM segment",
    "tag": "Customers with a tag",
}
RECURRENCES: JsonDict = {"": "Once", "daily": "Every day", "weekly": "Every week", "monthly": "Every month"}
ZONES: JsonDict = {"store": "The store's time zone", "recipient": "Each recipient's own time zone"}


class CampaignForm(ConsoleForm):
    """A campaign: who, on which channel, which message, when."""

    name: str = Field(title="Name", min_length=1, max_length=200)
    audience: Literal["all", "tier", "segment", "tag"] = Field(
        default="all", title="Send to", json_schema_extra={"choices": AUDIENCES}
    )
    tier: str = Field(default="", title="Tier", max_length=100)
    segment: str = Field(default="", title="RFM segment", max_length=40)
    tag: str = Field(default="", title="Tag", max_length=50)
    channel: Channel = Field(default=Channel.EMAIL, title="Channel", json_schema_extra={"x-labels": CHANNELS})
    template: str = Field(title="Message", min_length=1, max_length=64)
    date: str = Field(
        title="Date",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        json_schema_extra={"widget": "date", "invalid": "a date like 2026-12-24"},
    )
    time: str = Field(
        default="10:00",
        title="Time",
        pattern=r"^\d{2}:\d{2}$",
        json_schema_extra={"widget": "time", "invalid": "a time like 10:00"},
    )
    recurrence: Literal["", "daily", "weekly", "monthly"] = Field(
        default="", title="Repeat", json_schema_extra={"choices": RECURRENCES}
    )
    timezone: Literal["store", "recipient"] = Field(
        default="store", title="At that time in", json_schema_extra={"choices": ZONES}
    )
    holdout_percent: int = Field(
        default=0,
        ge=0,
        le=50,
        title="Holdout (%)",
        description="This share of the audience is not sent the message, to measure its effect on orders.",
    )


class MessagingForm(ConsoleForm):
    """The store's messaging settings."""

    min_gap_hours: int = Field(
        ge=0, le=168, title="At least this many hours between two marketing messages to one customer"
    )
    per_week: int = Field(ge=0, le=50, title="At most this many marketing messages a week, all channels")
    per_week_email: int | None = Field(default=None, ge=0, le=50, title="Email")
    per_week_sms: int | None = Field(default=None, ge=0, le=50, title="SMS")
    per_week_push: int | None = Field(default=None, ge=0, le=50, title="Web push")
    per_week_widget: int | None = Field(default=None, ge=0, le=50, title="Chat widget")
    quiet_start_hour: int = Field(ge=0, le=23, title="Quiet hours start (hour, 0 to 23)")
    quiet_end_hour: int = Field(ge=0, le=23, title="Quiet hours end (hour, 0 to 23)")
    respect_holidays: bool = Field(
        default=False, title="Hold marketing on public holidays in the recipient's country"
    )
    max_defer_hours: int = Field(
        ge=1,
        le=336,
        title="Drop a held marketing message after (hours)",
        description="A message held by quiet hours or a cap waits this long at most, then is dropped.",
    )
    sender_name: str = Field(default="", title="Sender name", max_length=200)
    sender_email: str = Field(
        default="", title="Sender email", max_length=320, json_schema_extra={"widget": "email"}
    )
    brand_color: str = Field(
        default="#1f5fbf",
        title="Brand colour",
        pattern=r"^#[0-9a-fA-F]{6}$",
        json_schema_extra={"widget": "color", "invalid": "a colour like #1f5fbf"},
    )
    logo_url: str = Field(
        default="",
        title="Logo address",
        max_length=500,
        pattern=r"^(https://\S+)?$",
        json_schema_extra={"widget": "url", "invalid": "an https:// address"},
    )
    postal_address: str = Field(
        default="",
        title="Postal address",
        max_length=500,
        description="Shown at the foot of every marketing email, as the law in many countries asks.",
        json_schema_extra={"widget": "textarea"},
    )
