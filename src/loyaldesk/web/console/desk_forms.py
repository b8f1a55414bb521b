"""The forms of the desk settings page (see ``forms.py``): routing and the chat widget, the mailbox, and
goodwill. Each model names the inputs the page posts; ``*_values`` give what the form shows before a
change (the desk's current settings)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.json_schema import JsonDict

from loyaldesk.support.rules import CHANNELS, Priority, RoutingMethod
from loyaldesk.web.console.forms import ConsoleForm

ROLES_WITH_BUDGETS = ("agent", "admin", "owner")
# Where the domain names a problem by its own path, the input it belongs to.
DESK_INPUTS = {
    **{f"channel_priorities.{channel}": f"priority_{channel}" for channel in CHANNELS},
    **{f"goodwill_budgets.{role}": f"budget_{role}" for role in ROLES_WITH_BUDGETS},
}


def _priority(channel: str) -> Any:
    return Field(default=Priority.NORMAL, title=channel)


class RoutingForm(ConsoleForm):
    """How new conversations are routed, their baseline priority per channel, the chat widget, CSAT and
    the support address."""

    auto_assign: bool = Field(default=False, title="Assign new conversations to online agents automatically")
    routing_method: RoutingMethod = Field(
        title="How",
        json_schema_extra={
            "x-labels": {
                "least_load": "Least load: the agent with the fewest open conversations",
                "round_robin": "Round robin: whoever was assigned longest ago",
            }
        },
    )
    default_capacity: int = Field(title="Default capacity (open conversations per agent)", ge=0, le=100)
    # One per channel of support.rules.CHANNELS (a test keeps them equal).
    priority_webchat: Priority = _priority("webchat")
    priority_email: Priority = _priority("email")
    priority_api: Priority = _priority("api")
    csat_enabled: bool = Field(default=False, title="Ask customers to rate resolved conversations")
    widget_title: str = Field(title="Chat widget title", min_length=1, max_length=80)
    widget_greeting: str = Field(default="", title="Greeting", max_length=300)
    widget_accent: str = Field(
        title="Accent colour", pattern=r"^#[0-9a-fA-F]{6}$", json_schema_extra={"widget": "color"}
    )
    support_email: str = Field(
        default="",
        title="Support email address",
        max_length=320,
        json_schema_extra={"widget": "email", "attrs": {"placeholder": "help@yourshop.example"}},
    )
    widget_allowed_origins: str = Field(
        default="",
        title=(
            "Pages allowed to show the chat (one origin per line, such as https://shop.example.com or "
            "https://*.shop.example.com; empty: any https page, and http://localhost)"
        ),
        max_length=2000,
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 3}},
    )

    def channel_priorities(self) -> dict[str, str]:
        """The channels whose baseline is not ``normal``."""
        chosen = {channel: str(getattr(self, f"priority_{channel}")) for channel in CHANNELS}
        return {channel: priority for channel, priority in chosen.items() if priority != Priority.NORMAL}

    def changes(self) -> dict[str, Any]:
        return {
            "routing_method": str(self.routing_method),
            "default_capacity": self.default_capacity,
            "auto_assign": self.auto_assign,
            "csat_enabled": self.csat_enabled,
            "widget_title": self.widget_title.strip(),
            "widget_greeting": self.widget_greeting.strip(),
            "widget_accent": self.widget_accent.lower(),
            "widget_allowed_origins": self.widget_allowed_origins.split(),
            "channel_priorities": self.channel_priorities(),
            "support_email": self.support_email.strip() or None,
        }


def routing_values(settings: Any) -> dict[str, Any]:
    priorities = settings.channel_priorities or {}
    return {
        "auto_assign": bool(settings.auto_assign),
        "routing_method": settings.routing_method,
        "default_capacity": settings.default_capacity,
        "csat_enabled": bool(settings.csat_enabled),
        "widget_title": settings.widget_title,
        "widget_greeting": settings.widget_greeting or "",
        "widget_accent": settings.widget_accent,
        "support_email": settings.support_email or "",
        "widget_allowed_origins": "\n".join(settings.widget_allowed_origins or []),
        **{f"priority_{channel}": priorities.get(channel, "normal") for channel in CHANNELS},
    }


class MailboxForm(ConsoleForm):
    """The existing mailbox to read over IMAP (an empty server: none)."""

    imap_host: str = Field(
        default="",
        title="Server (empty: do not read a mailbox)",
        max_length=255,
        json_schema_extra={"attrs": {"placeholder": "imap.example.com"}},
    )
    imap_port: int = Field(default=993, title="Port", ge=1, le=65535)
    imap_ssl: bool = Field(default=False, title="Use TLS (port 993)")
    imap_username: str = Field(
        default="", title="User name", max_length=320, json_schema_extra={"attrs": {"autocomplete": "off"}}
    )
    imap_password: str = Field(
        default="",
        title="Password (empty: keep the current one)",
        max_length=500,
        json_schema_extra={"widget": "password", "attrs": {"autocomplete": "new-password"}},
    )
    imap_folder: str = Field(default="INBOX", title="Folder", max_length=200)


def mailbox_values(settings: Any) -> dict[str, Any]:
    return {
        "imap_host": settings.imap_host or "",
        "imap_port": settings.imap_port or 993,
        "imap_ssl": settings.imap_ssl is None or bool(settings.imap_ssl),
        "imap_username": settings.imap_username or "",
        "imap_folder": settings.imap_folder or "INBOX",
    }


def _budget(role: str) -> Any:
    extra: JsonDict = {"invalid": "a whole number of points, or empty", "attrs": {"inputmode": "numeric"}}
    return Field(default=None, title=role.capitalize(), ge=0, json_schema_extra=extra)


class GoodwillForm(ConsoleForm):
    """Monthly goodwill budgets per role (empty: no limit) and automatic service recovery."""

    budget_agent: int | None = _budget("agent")
    budget_admin: int | None = _budget("admin")
    budget_owner: int | None = _budget("owner")
    recovery_enabled: bool = Field(
        default=False,
        title=(
            "Automatic service recovery: after an SLA breach or a rating of 2 or less, give points and "
            "ask the team lead to follow up"
        ),
    )
    recovery_points: int = Field(default=0, title="Points given automatically", ge=0, le=100_000)

    def budgets(self) -> dict[str, int | None]:
        return {role: getattr(self, f"budget_{role}") for role in ROLES_WITH_BUDGETS}


def goodwill_values(settings: Any) -> dict[str, Any]:
    given = settings.goodwill_budgets or {}
    return {
        **{
            f"budget_{role}": "" if role in given and given[role] is None else given.get(role, 0)
            for role in ROLES_WITH_BUDGETS
        },
        "recovery_enabled": bool(settings.recovery_enabled),
        "recovery_points": settings.recovery_points,
    }


class TeamForm(ConsoleForm):
    """A new team (or a renamed one, with ``team_id``)."""

    name: str = Field(
        title="New team",
        max_length=200,
        json_schema_extra={"attrs": {"maxlength": 80, "required": True, "placeholder": "Billing"}},
    )
    team_id: int | None = Field(default=None, ge=1, le=2**62, json_schema_extra={"widget": "hidden"})


class ShopperPolicyForm(ConsoleForm):
    """What the assistant tells shoppers: how long returns stay open, and the store's delivery options."""

    return_window_days: int = Field(
        default=30, title="Returns may be started up to this many days after delivery", ge=0, le=365
    )
    shipping_info: str = Field(
        default="",
        title="Delivery options, as the assistant quotes them (empty: it answers from articles)",
        max_length=4000,
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 4}},
    )

    def changes(self) -> dict[str, Any]:
        return {
            "return_window_days": self.return_window_days,
            "shipping_info": self.shipping_info.strip() or None,
        }


def shopper_policy_values(settings: Any) -> dict[str, Any]:
    return {
        "return_window_days": 30 if settings.return_window_days is None else settings.return_window_days,
        "shipping_info": settings.shipping_info or "",
    }
