"""Closing the loop: a theme (or a hand-picked set of answers) marked fixed with a note, and the
customers who raised it told so ("we fixed it") through the journeys engine, with goodwill points if
the manager gives them.

``mark_fixed`` is one transaction: the theme's ``fixed_at`` and ``fixed_note``, a ``LoopClosure`` with
one ``LoopClosureRecipient`` per customer, one queued journeys message per customer (category
``feedback``: journeys holds it for waking hours and never sends it on a channel the customer opted out
of), the points once per customer through the loyalty program, the audit row and ``ThemeFixed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from loyaldesk.customers import grant_goodwill_points
from loyaldesk.feedback.events import ThemeFixed
from loyaldesk.feedback.loop.recipients import Audience, audience
from loyaldesk.feedback.models import LoopClosure, LoopClosureRecipient, SurveyResponse, Theme
from loyaldesk.journeys import (
    Channel,
    MessageCategory,
    ensure_owned_template,
    queue_message,
)
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit

TEMPLATE_KEY = "feedback_fixed"  # journeys' template keys are letters, digits and underscores
MAX_NOTE = 2000
MAX_GOODWILL_POINTS = 10_000  # a broadcast's points per customer: a slip of the finger stops here
MAX_ANSWERS = 1000
CHANNELS = (Channel.EMAIL,)

# The "we fixed it" email in the languages loyaldesk ships (the store's default language picks one;
# English otherwise). The store may change it like any journeys template.
TEMPLATES = {
    "en": {
        "name": "We fixed it (feedback)",
        "subject": "You told us, we fixed it",
        "preheader": "What we changed after your feedback",
        "body": (
            "Hi {{ first_name | there }},\n\n"
            "you told us something was not right, and we listened. Here is what we changed:\n\n"
            "{{ fix_note }}\n\n"
            "Thank you for taking the time to tell us. It makes {{ store_name }} better for everyone."
        ),
    },
    "de": {
        "name": "Wir haben es behoben (Feedback)",
        "subject": "Sie haben es uns gesagt, wir haben es behoben",
        "preheader": "Was wir nach Ihrer Rückmeldung geändert haben",
        "body": (
            "Hallo {{ first_name | zusammen }},\n\n"
            "Sie haben uns gesagt, dass etwas nicht stimmte, und wir haben zugehört. Das haben wir "
            "geändert:\n\n"
            "{{ fix_note }}\n\n"
            "Danke, dass Sie sich die Zeit genommen haben. So wird {{ store_name }} für alle besser."
        ),
    },
}


def ensure_fixed_template(uow: UnitOfWork, store_id: int) -> None:
    """The store's "we fixed it" email template (``feedback_fixed``), created on first use in the store's
    default language when loyaldesk ships it, else English; a store's changes to it are kept."""
    ensure_owned_template(uow, store_id, TEMPLATE_KEY, TEMPLATES, owner="feedback")


def _check(
    uow: UnitOfWork,
    store_id: int,
    theme_id: int | None,
    response_ids: Sequence[int] | None,
    note: str,
    goodwill_points: int,
    channel: str,
) -> tuple[Theme | None, list[int] | None, str, Channel]:
    problems: list[FieldProblem] = []
    cleaned = (note or "").strip()
    if not cleaned:
        problems.append(FieldProblem("note", "say what was fixed: the customers read it"))
    elif len(cleaned) > MAX_NOTE:
        problems.append(FieldProblem("note", f"at most {MAX_NOTE} characters"))
    if isinstance(goodwill_points, bool) or not isinstance(goodwill_points, int) or goodwill_points < 0:
        problems.append(FieldProblem("goodwill_points", "a whole number of points, 0 or more"))
    elif goodwill_points > MAX_GOODWILL_POINTS:
        problems.append(FieldProblem("goodwill_points", f"at most {MAX_GOODWILL_POINTS:,} a customer"))
    chosen = next((known for known in CHANNELS if known.value == channel), None)
    if chosen is None:
        problems.append(FieldProblem("channel", "email is the channel a broadcast goes on"))
    theme = None
    if theme_id is not None:
        theme = uow.session.get(Theme, theme_id)
        if theme is None or theme.store_id != store_id:
            # Another store's theme is answered like a missing one: its id tells nothing.
            raise NotFound("no such theme")
    picked: list[int] | None = None
    if response_ids is not None:
        picked = sorted({int(rid) for rid in response_ids})
        if not picked or len(picked) > MAX_ANSWERS:
            problems.append(FieldProblem("response_ids", f"pick 1 to {MAX_ANSWERS} answers"))
        else:
            mine = set(
                uow.session.scalars(
                    select(SurveyResponse.id).where(
                        SurveyResponse.id.in_(picked), SurveyResponse.store_id == store_id
                    )
                )
            )
            if missing := [rid for rid in picked if rid not in mine]:
                problems.append(FieldProblem("response_ids", f"not answers of this store: {missing[:10]}"))
    if theme_id is None and response_ids is None:
        problems.append(FieldProblem("theme_id", "name the theme that was fixed (or the answers)"))
    if problems:
        raise Invalid("nothing was marked fixed", problems)
    return theme, picked, cleaned, chosen or Channel.EMAIL


def mark_fixed(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    theme_id: int | None = None,
    response_ids: Sequence[int] | None = None,
    note: str,
    goodwill_points: int = 0,
    channel: str = "email",
    since: datetime | None = None,
) -> LoopClosure:
    """Mark ``theme_id`` fixed (or the answers ``response_ids``) with ``note`` and queue "we fixed it" to
    every distinct customer who raised it (``recipients.audience``), with ``goodwill_points`` each for
    the loyalty program's members (others get the message, not the points). Needs
    ``MANAGE_FEEDBACK`` (scope ``feedback:write``). Refused with the reason, storing nothing: no note,
    points below 0 or above ``MAX_GOODWILL_POINTS``, an answer of another store, a channel other than
    email, nobody to tell (``Invalid``); a theme of another store (``NotFound``, as for none)."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    theme, picked, cleaned, chosen = _check(
        uow, store_id, theme_id, response_ids, note, goodwill_points, channel
    )
    found: Audience = audience(
        uow.session,
        store_id,
        theme_id=theme.id if theme is not None else None,
        response_ids=picked,
        since=since,
        channel=chosen,
    )
    if not found.recipients:
        field = "response_ids" if picked is not None else ("since" if since is not None else "theme_id")
        raise Invalid.field(field, "no customer raised this (in that time): nobody would be told")
    ensure_fixed_template(uow, store_id)
    now = uow.now()
    closure = LoopClosure(
        store_id=store_id,
        theme_id=theme.id if theme is not None else None,
        note=cleaned,
        channel=chosen.value,
        template_key=TEMPLATE_KEY,
        goodwill_points=goodwill_points,
        since=since,
        recipient_count=found.total,
        created_by=actor.id if actor.kind == "staff" else None,
        created_at=now,
    )
    uow.session.add(closure)
    uow.session.flush()
    for recipient in found.recipients:
        key = f"feedback-fixed:{closure.id}:{recipient.customer_id}"
        send = queue_message(
            uow,
            store_id=store_id,
            customer_id=recipient.customer_id,
            channel=chosen,
            template_key=TEMPLATE_KEY,
            category=MessageCategory.FEEDBACK,
            key=key,
            context={"event": {"fix_note": cleaned}},
        )
        granted = 0
        if goodwill_points > 0:
            try:
                with uow.session.begin_nested():
                    grant_goodwill_points(
                        uow,
                        store_id,
                        recipient.customer_id,
                        points=goodwill_points,
                        note=f"we fixed it: {theme.name if theme is not None else 'your feedback'}",
                        key=key,
                        reason_code="goodwill",
                        actor_label=actor.label,
                    )
                granted = goodwill_points
            except Conflict:
                granted = 0  # not a member of the loyalty program: the message, not the points
        uow.session.add(
            LoopClosureRecipient(
                closure_id=closure.id,
                customer_id=recipient.customer_id,
                response_id=recipient.response_id,
                send_id=send.id if send is not None else None,
                points_granted=granted,
            )
        )
    if theme is not None:
        theme.fixed_at = now
        theme.fixed_note = cleaned
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "feedback.theme_fixed",
        store_id=store_id,
        target_type="feedback_loop_closure",
        target_id=closure.id,
        details={
            "theme_id": closure.theme_id,
            "recipients": found.total,
            "reached": found.reached,
            "opted_out": found.opted_out,
            "goodwill_points": goodwill_points,
        },
    )
    uow.emit(
        ThemeFixed(
            store_id=store_id,
            customer_id=None,
            closure_id=closure.id,
            theme_id=closure.theme_id,
            recipient_count=found.total,
        )
    )
    return closure
