"""``prove_order`` and ``confirm_order_code``: how an anonymous visitor proves an order is theirs.

1. ``prove_order`` (slots ``order_number`` and ``email``): when an order of the store has that number
   and that email, a 6-digit code goes to the order's email (through the port below, which the email
   channel fills: mail waits in the desk's outbox). The answer is the same whether or not anything
   matched, so it never tells whether an order exists. Every request is recorded (``OrderProof``), so the
   limit per conversation (``MAX_CODES_PER_CONVERSATION`` an hour) counts the same either way; an order
   gets at most ``MAX_CODES_PER_ORDER`` codes an hour, whoever asks (past it: the same answer, no mail).
2. ``confirm_order_code`` (slot ``code``): checks the code against the conversation's latest request
   (HMAC under a key derived from the store's secret, compared in constant time), valid
   ``CODE_VALID_MINUTES``, at most ``MAX_ATTEMPTS`` tries; a right code marks that order (and only that
   one) proven for the conversation: ``verified_orders(session, conversation_id)`` then includes it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select

from loyaldesk.assistant.tools.access import aware, clean_order_number, verified_orders
from loyaldesk.assistant.tools.common import in_language, order_name
from loyaldesk.assistant.tools.models import OrderProof
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.commerce import Order
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.i18n import _
from loyaldesk.kernel.keys import purpose_key
from loyaldesk.stores import store_by_id

__all__ = [
    "CODE_VALID_MINUTES",
    "MAX_ATTEMPTS",
    "ConfirmOrderCodeTool",
    "OrderCodeMail",
    "OrderCodeMailer",
    "ProveOrderTool",
    "provide_order_code_mailer",
    "verified_orders",
]

log = logging.getLogger("loyaldesk.assistant")

CODE_VALID_MINUTES = 15
MAX_ATTEMPTS = 5
MAX_CODES_PER_CONVERSATION = 3  # per hour, matched or not
MAX_CODES_PER_ORDER = 3  # per hour, whoever asks
ORDER_PROOF_PURPOSE = "order-proof-code"  # the purpose of the key codes are hashed with (kernel.keys)
_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class OrderCodeMail:
    """A one-time code to mail: to the order's own address, in the asker's language."""

    store_id: int
    conversation_id: int
    proof_id: int
    recipient: str
    order_number: str
    code: str
    language: str
    valid_minutes: int


class OrderCodeMailer(Protocol):
    """Queues ``mail`` in the caller's unit of work (sent after commit, retried); the email channel
    provides it."""

    def __call__(self, uow: UnitOfWork, mail: OrderCodeMail) -> None: ...


_mailer: OrderCodeMailer | None = None


def provide_order_code_mailer(mailer: OrderCodeMailer | None) -> None:
    global _mailer
    _mailer = mailer


def code_hash(secret: str, proof_id: int, code: str) -> str:
    """The stored form of ``code`` for one request (the request's id is in it: a code is good for its
    own request only)."""
    key = purpose_key(secret, ORDER_PROOF_PURPOSE)
    return hmac.new(key, f"{proof_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _no_conversation(tool: str) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.FAILED,
        _("I can only check a code inside a chat. Please start a chat and ask me again."),
        {"reason": "no_conversation"},
    )


def _neutral(number: str) -> str:
    return _(
        "If order #{number} was placed with that email address, I have sent a 6-digit code to it. The "
        "code is valid for {minutes} minutes: please type it here.",
        number=number,
        minutes=CODE_VALID_MINUTES,
    )


def _prove(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = ProveOrderTool.name
    if asker.conversation_id is None:
        return _no_conversation(tool)
    number = clean_order_number(request.slots.get("order_number"))
    if number is None:
        return ToolResult(
            tool,
            ToolStatus.NEEDS_SLOT,
            _("What is the order number? You find it in your order confirmation."),
            missing="order_number",
        )
    try:
        email = normalise_email(request.slots.get("email") or "")
    except ValueError:
        return ToolResult(
            tool,
            ToolStatus.NEEDS_SLOT,
            _("Which email address did you use for the order?"),
            {"order_number": number},
            missing="email",
        )
    session = uow.session
    now = uow.now()
    hour_ago = now - timedelta(hours=1)
    asked = session.scalar(
        select(func.count(OrderProof.id)).where(
            OrderProof.conversation_id == asker.conversation_id, OrderProof.created_at > hour_ago
        )
    )
    if (asked or 0) >= MAX_CODES_PER_CONVERSATION:
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _("You have asked for several codes already. Please try again in an hour, or ask for a person."),
            {"reason": "too_many_codes"},
        )
    order = session.scalar(
        select(Order)
        .where(Order.store_id == asker.store_id, Order.number.in_((number, f"#{number}")))
        .limit(1)
    )
    matched = order is not None and order.email is not None and _same_email(order.email, email)
    if matched and order is not None:
        sent_for_order = session.scalar(
            select(func.count(OrderProof.id)).where(
                OrderProof.order_id == order.id,
                OrderProof.created_at > hour_ago,
                OrderProof.code_hash.is_not(None),
            )
        )
        matched = (sent_for_order or 0) < MAX_CODES_PER_ORDER
    proof = OrderProof(
        store_id=asker.store_id,
        conversation_id=asker.conversation_id,
        order_id=order.id if matched and order is not None else None,
        code_hash=None,
        attempts=0,
        expires_at=now + timedelta(minutes=CODE_VALID_MINUTES),
        created_at=now,
    )
    session.add(proof)
    session.flush()
    if matched and order is not None and order.email:
        code = f"{secrets.randbelow(10**6):06d}"
        proof.code_hash = code_hash(store_by_id(session, asker.store_id).identity_secret, proof.id, code)
        if _mailer is None:
            log.warning("no mailer for order codes: the code of order proof %s is not sent", proof.id)
        else:
            _mailer(
                uow,
                OrderCodeMail(
                    store_id=asker.store_id,
                    conversation_id=asker.conversation_id,
                    proof_id=proof.id,
                    recipient=order.email,
                    order_number=order_name(order),
                    code=code,
                    language=asker.language,
                    valid_minutes=CODE_VALID_MINUTES,
                ),
            )
    # The same words and facts whether or not an order matched.
    return ToolResult(tool, ToolStatus.DONE, _neutral(number), {"order_number": number, "code_sent": "maybe"})


def _same_email(stored: str, given: str) -> bool:
    try:
        return normalise_email(stored).casefold() == given.casefold()
    except ValueError:
        return False


def _confirm(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = ConfirmOrderCodeTool.name
    if asker.conversation_id is None:
        return _no_conversation(tool)
    typed = re.sub(r"[\s-]", "", request.slots.get("code") or "")
    if not typed:
        return ToolResult(
            tool, ToolStatus.NEEDS_SLOT, _("Please type the 6-digit code from the email."), missing="code"
        )
    query = (
        select(OrderProof)
        .where(OrderProof.conversation_id == asker.conversation_id, OrderProof.store_id == asker.store_id)
        .order_by(OrderProof.id.desc())
        .limit(1)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    proof = uow.session.scalar(query)
    if proof is None:
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _("I have not sent you a code yet. Tell me your order number and email address first."),
            {"reason": "no_code_requested"},
        )
    if proof.verified_at is not None:
        order = uow.session.get(Order, proof.order_id) if proof.order_id else None
        if order is not None:
            return _verified(tool, order)
    if proof.attempts >= MAX_ATTEMPTS:
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _("That code was entered wrongly too many times. Ask me for a new code."),
            {"reason": "too_many_attempts"},
        )
    if uow.now() >= aware(proof.expires_at):
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _("That code has expired. Ask me for a new code."),
            {"reason": "expired"},
        )
    proof.attempts += 1
    secret = store_by_id(uow.session, asker.store_id).identity_secret
    right = (
        proof.code_hash is not None
        and proof.order_id is not None
        and _CODE.fullmatch(typed) is not None
        and hmac.compare_digest(proof.code_hash, code_hash(secret, proof.id, typed))
    )
    if not right:
        left = MAX_ATTEMPTS - proof.attempts
        if left <= 0:
            text = _("That code is not right, and there are no tries left. Ask me for a new code.")
        else:
            text = _("That code is not right. You can try {left} more times.", left=left)
        return ToolResult(tool, ToolStatus.REFUSED, text, {"reason": "wrong_code", "attempts_left": left})
    proof.verified_at = uow.now()
    order = uow.session.get(Order, proof.order_id)
    assert order is not None  # the proof's order id is a foreign key, and right codes only exist for one
    return _verified(tool, order)


def _verified(tool: str, order: Order) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.DONE,
        _(
            "Thank you, order {order} is verified. What would you like to know about it?",
            order=order_name(order),
        ),
        {"order_id": order.id, "order_number": order_name(order), "verified": True},
        (order.id,),
    )


@dataclass
class ProveOrderTool:
    """Send a one-time code to the email of the order the visitor names (neutral answer either way)."""

    name: str = "prove_order"
    intents: tuple[str, ...] = ("prove_order",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(_prove)(uow, asker, request)


@dataclass
class ConfirmOrderCodeTool:
    """Check the one-time code; a right one proves the order for the conversation."""

    name: str = "confirm_order_code"
    intents: tuple[str, ...] = ("confirm_order_code",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(_confirm)(uow, asker, request)
