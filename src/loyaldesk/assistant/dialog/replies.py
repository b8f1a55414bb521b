"""The assistant's own words to shoppers, in the active language (``kernel.i18n``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from loyaldesk.assistant.ports import ArticleHit
from loyaldesk.kernel.i18n import _, format_day


def greeting(name: str) -> str:
    return _(
        "Hi! I'm {name}, the store's assistant. Ask me about your order, your points or our policies, "
        "or ask for a person at any time.",
        name=name,
    )


def thanks() -> str:
    return _("You're welcome! Is there anything else I can help you with?")


def ask_for(slot: str) -> str:
    """The question that asks for a missing slot (``ToolRequest`` slot names)."""
    questions = {
        "order_number": _("Which order is it? Please give me its order number (for example #1001)."),
        "email": _("What is the email address on the order?"),
        "code": _("Please type the 6-digit code we sent to the order's email address."),
        "reward": _("Which reward would you like?"),
        "address": _("What is the new address?"),
        "reason": _("Could you tell me the reason?"),
    }
    return questions.get(slot, _("Could you tell me a little more?"))


def sign_in(can_prove_order: bool) -> str:
    if can_prove_order:
        return _(
            "To show you this I need to know it's you. Please sign in to your account on our shop, or "
            "tell me the order number and the email address on the order and I'll send you a one-time code."
        )
    return _("To show you this I need to know it's you. Please sign in to your account on our shop.")


def articles(hits: Sequence[ArticleHit]) -> str:
    lines = [_("These articles may help:")]
    lines += [f"- [{hit.title}]({hit.url})" for hit in hits]
    return "\n".join(lines)


def not_understood() -> str:
    return _("Sorry, I didn't understand that. Could you put it another way? You can also ask for a person.")


def no_answer() -> str:
    return _(
        "Sorry, I don't have an answer to that. Could you put it another way? You can also ask for a person."
    )


def went_wrong() -> str:
    return _("Sorry, something went wrong on my side.")


def handing_off() -> str:
    return _(
        "I'm passing you to a person from our team. They can see this conversation, so there's no need "
        "to repeat yourself."
    )


def away_until(opening: datetime, timezone: str, language: str) -> str:
    local = opening.astimezone(ZoneInfo(timezone))
    return _(
        "Our team is away right now. A person will answer from {day}, {time}. Your message is saved, so "
        "there's no need to write again.",
        day=format_day(local, timezone, language),
        time=local.strftime("%H:%M"),
    )
