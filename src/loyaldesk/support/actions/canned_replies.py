"""Canned replies: a store's saved answers, with variables filled from the customer's picture."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.support import rules
from loyaldesk.support.models import CannedReply


def save_canned_reply(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    shortcut: str,
    title: str,
    body: str,
    reply_id: int | None = None,
) -> CannedReply:
    """Create or change a canned reply; its variables must be ones loyaldesk knows."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    problems = []
    shortcut = shortcut.strip().lstrip("/").lower()
    if not shortcut or len(shortcut) > 40 or not all(ch.isalnum() or ch in "-_" for ch in shortcut):
        problems.append(FieldProblem("shortcut", "1 to 40 letters, digits, - or _"))
    title = title.strip()
    if not title or len(title) > 120:
        problems.append(FieldProblem("title", "is required (at most 120 characters)"))
    try:
        body = rules.check_canned_reply(body)
    except Invalid as error:
        problems.extend(error.problems)
    if problems:
        raise Invalid("the canned reply is not valid", problems)
    clash = uow.session.scalar(
        select(CannedReply).where(CannedReply.store_id == store_id, CannedReply.shortcut == shortcut)
    )
    if reply_id is None:
        if clash is not None:
            raise Conflict(f"a canned reply /{shortcut} exists already")
        reply = CannedReply(
            store_id=store_id, shortcut=shortcut, title=title, body=body, updated_at=uow.now()
        )
        uow.session.add(reply)
    else:
        found = uow.session.get(CannedReply, reply_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such canned reply")
        if clash is not None and clash.id != reply_id:
            raise Conflict(f"a canned reply /{shortcut} exists already")
        reply = found
        reply.shortcut, reply.title, reply.body, reply.updated_at = shortcut, title, body, uow.now()
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "support.canned_reply_saved",
        store_id=store_id,
        target_type="canned_reply",
        target_id=reply.id,
    )
    return reply


def delete_canned_reply(uow: UnitOfWork, actor: Actor, store_id: int, reply_id: int) -> None:
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    reply = uow.session.get(CannedReply, reply_id)
    if reply is None or reply.store_id != store_id:
        raise NotFound("no such canned reply")
    uow.session.delete(reply)
    record_audit(
        uow,
        actor,
        "support.canned_reply_deleted",
        store_id=store_id,
        target_type="canned_reply",
        target_id=reply_id,
    )
