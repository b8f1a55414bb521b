"""The survey pages' sentences for a customer, in the active language (``kernel.i18n.use_language``):
why a survey takes no answers, and what is wrong with an answer, said for its kind of question (the
domain's reasons are English words for developers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyaldesk.kernel.i18n import _


def refusal_text(reason: str) -> str:
    """Why the page takes no answers: ``closed``, ``expired``, ``answered``, ``stale`` (a form that did
    not come from this page, or is too old), ``empty`` (nothing answered), ``not_found``."""
    if reason == "closed":
        return _("This survey is closed and takes no more answers. Thank you for opening it.")
    if reason == "expired":
        return _("This survey has expired: it could be answered for a limited time only.")
    if reason == "answered":
        return _("You have already answered this survey. Thank you!")
    if reason == "stale":
        return _("This form is out of date. Open the survey again from your message and answer there.")
    if reason == "empty":
        return _("Answer at least one question.")
    return _("There is no such survey. Use the link from your message exactly as it is.")


def problem_text(question: Mapping[str, Any], *, missing: bool = False) -> str:
    """What to do about a question's answer: missing, or not one it takes (out of range, not an option,
    too long)."""
    kind = question.get("type")
    if kind in ("nps", "scale"):
        return _(
            "Choose a number from {low} to {high}.", low=question.get("min", 0), high=question.get("max", 10)
        )
    if kind == "single":
        return _("Choose one of the answers.")
    if kind == "multiple":
        return _("Choose one or more of the answers.")
    if missing:
        return _("Please answer this question.")
    return _("Write at most 5,000 characters.")
