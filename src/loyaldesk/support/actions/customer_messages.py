"""Customers' messages in batches: the one code path behind ``post_customer_message``.

``post_customer_messages(uow, items)`` posts many customers' messages in one unit of work, the shape the
write queue's ``submit_coalesced`` merges concurrent callers into (``CUSTOMER_MESSAGES`` is the key). A
message that only adds to a conversation already open and already waiting on the desk (the common case
in a live chat: the customer writes again before anyone answered) takes the fast lane: its contact,
duplicate check and conversation are read for the whole batch in a few Core statements, the messages and
their ``MessagePosted`` events are inserted together and each conversation is updated once. Such a
message changes no state the SLA clocks or routing look at (status, waiting since, assignee, team, the
first unanswered message), so neither runs for it; a warning or breach that falls due meanwhile is
fired by the ``support.sla_check`` job at the conversation's ``sla_next_check_at`` as always.

A first message without files (no conversation named and none open on the channel, or a new thread
asked for) opens its conversation through ``first_messages``: two Core inserts, then the same routing and
SLA code as the general path, with the same rows and events. Every other message (one that reopens or
starts the wait, one with files, a second first message of a contact in the same batch) changes the
conversation's state and goes through ``post_one`` (ORM objects, ``start_conversation``, ``set_status``,
routing and ``sla.refresh``), in its own savepoint. Both run in the order the items came: the fast lane's
pending messages are written before them, so one conversation's messages keep their order.

Contract: one result per item, in order: a ``PostedMessage`` or the ``DomainError`` that refused it
(nothing of that item is written). A retry with the same ``client_message_id`` (or ``source_key``)
returns the first message and writes nothing. An item marked ``stored_checked`` is not looked up again
among the stored messages: its caller read, in this transaction, that none is stored under its key (the
email channel does, with its threading query); a repeat of the key earlier in the same batch is still
found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import DomainError, NotFound
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.support import rules
from loyaldesk.support.actions.attachments import NewAttachment
from loyaldesk.support.actions.first_messages import (
    FullDesks,
    check_first_message,
    customer_message_view,
    start_with_message,
)
from loyaldesk.support.events import MessagePosted
from loyaldesk.support.message_format import (
    check_message_body,
    render_message_html,
    render_plain_text_html,
)
from loyaldesk.support.models import Contact, Conversation, Message

# The write queue's coalescing key for ``post_customer_messages``.
CUSTOMER_MESSAGES = "support.customer_messages"

_MESSAGES = cast(Table, Message.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
_OPEN = rules.ConversationStatus.OPEN.value
_VISITOR = "Visitor"  # the author name of a contact without one

# The contact's latest conversation on a channel that is not closed (``customer_conversation``'s).
_OPEN_ON_CHANNEL = (
    select(_CONVERSATIONS.c.id)
    .where(
        _CONVERSATIONS.c.contact_id == bindparam("contact_id"),
        _CONVERSATIONS.c.status != "closed",
        _CONVERSATIONS.c.channel == bindparam("channel"),
    )
    .limit(1)
)

# The batch's contacts and named conversations, each in one statement built once.
_CONTACT_TABLE = cast(Table, Contact.__table__)
_CONTACT_ROWS = select(
    _CONTACT_TABLE.c.id, _CONTACT_TABLE.c.store_id, _CONTACT_TABLE.c.customer_id, _CONTACT_TABLE.c.name
).where(_CONTACT_TABLE.c.id.in_(bindparam("ids", expanding=True)))
_CONVERSATION_ROWS = select(
    _CONVERSATIONS.c.id,
    _CONVERSATIONS.c.store_id,
    _CONVERSATIONS.c.contact_id,
    _CONVERSATIONS.c.customer_id,
    _CONVERSATIONS.c.status,
    _CONVERSATIONS.c.waiting_since,
).where(_CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True)))

# One statement for every conversation a batch adds to (executemany).
_ADD_TO_CONVERSATION = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation"))
    .values(
        last_message_at=bindparam("at"),
        last_message_preview=bindparam("preview"),
        message_count=_CONVERSATIONS.c.message_count + bindparam("added"),
        updated_at=bindparam("at"),
    )
)


@dataclass(frozen=True)
class CustomerMessage:
    """One customer's message, as ``post_customer_message`` takes it (see there for each field)."""

    contact_id: int
    body: str
    client_message_id: str | None = None
    conversation_id: int | None = None
    channel: str = "webchat"
    subject: str = ""
    files: Sequence[NewAttachment] = ()
    source_key: str | None = None
    new_thread: bool = False
    plain_text: bool = False
    stored_checked: bool = False  # no message under its key was stored: the caller read it (see the module)


@dataclass(frozen=True)
class PostedMessage:
    """A stored customer message (or the first one a retry repeats)."""

    id: int
    conversation_id: int
    client_message_id: str | None


@dataclass
class _Entry:
    index: int
    item: CustomerMessage
    contact: Any  # a row: id, store_id, customer_id, name
    client_message_id: str | None
    dedupe_key: str | None


def post_customer_messages(
    uow: UnitOfWork, items: Sequence[CustomerMessage]
) -> list[PostedMessage | DomainError]:
    """Post ``items`` in order (see the module): one result per item, a ``PostedMessage`` or the error
    that refused it."""
    from loyaldesk.support.actions.post_message import check_client_message_id

    session = uow.session
    session.flush()  # the caller's pending ORM changes first: the reads below are Core statements
    results: list[PostedMessage | DomainError | None] = [None] * len(items)
    contacts = _contacts(session, {item.contact_id for item in items})
    entries: list[_Entry] = []
    for index, item in enumerate(items):
        contact = contacts.get(item.contact_id)
        if contact is None:
            results[index] = NotFound("no such contact")
            continue
        try:
            client_message_id = check_client_message_id(item.client_message_id)
        except DomainError as error:
            results[index] = error
            continue
        dedupe_key = item.source_key or (
            f"contact:{contact.id}:{client_message_id}" if client_message_id else None
        )
        entries.append(_Entry(index, item, contact, client_message_id, dedupe_key))
    existing = _existing(
        session, [(e.contact.store_id, e.dedupe_key) for e in entries if not e.item.stored_checked]
    )
    conversations = _conversations(session, {e.item.conversation_id for e in entries} - {None})
    lane = _FastLane(uow, results)
    changed: set[int] = set()  # conversations a state-changing message touched in this batch
    started: set[tuple[int, str]] = set()  # (contact, channel) of the conversations started in this batch
    full_desks = FullDesks()
    earlier: set[tuple[int, str | None]] = set()  # the keys of this batch's items before this one
    for entry in entries:
        key = (entry.contact.store_id, entry.dedupe_key)
        if entry.dedupe_key is not None and key in existing:
            results[entry.index] = existing[key]
            continue
        repeated = entry.dedupe_key is not None and key in earlier
        earlier.add(key)
        conversation_id = entry.item.conversation_id
        conversation = conversations.get(conversation_id) if conversation_id is not None else None
        if (
            conversation is not None
            and conversation.id not in changed
            and lane.takes(entry, conversation)
            and (entry.dedupe_key is None or key not in lane.keys)
        ):
            try:
                lane.add(entry, conversation)  # its result is set when the lane is written
            except DomainError as error:
                results[entry.index] = error
            continue
        lane.write()  # what came before this message is stored before it
        if not repeated and _starts_conversation(session, entry, started):
            result = _start_with_message(uow, lane, entry, full_desks)
            started.add((entry.contact.id, entry.item.channel))
            results[entry.index] = result
            lane.keys.add(key)
            if isinstance(result, PostedMessage):
                changed.add(result.conversation_id)
            continue
        full_desks.forget()  # the general path may change loads and be rolled back
        result = _post_one_in_savepoint(uow, entry, look_up=repeated or not entry.item.stored_checked)
        results[entry.index] = result
        lane.keys.add(key)
        if isinstance(result, PostedMessage):
            changed.add(result.conversation_id)
    lane.write()
    return [result for result in results if result is not None]


def _starts_conversation(session: Session, entry: _Entry, started: set[tuple[int, str]]) -> bool:
    """Whether the message opens a new conversation and may take ``first_messages`` (no files): no
    conversation named and, unless a new thread is asked for, none of the contact's open on the channel
    (one started in this batch is left to the general path, which finds it)."""
    item = entry.item
    if item.files or item.conversation_id is not None:
        return False
    if item.new_thread:
        return True
    if (entry.contact.id, item.channel) in started:
        return False
    found = session.execute(
        _OPEN_ON_CHANNEL, {"contact_id": entry.contact.id, "channel": item.channel}
    ).first()
    return found is None


def _start_with_message(
    uow: UnitOfWork, lane: _FastLane, entry: _Entry, full_desks: FullDesks
) -> PostedMessage | DomainError:
    try:
        text = check_first_message(entry.item)
    except DomainError as error:
        return error  # refused before anything of it was written
    author_name = lane.display_name(entry.contact)
    message_id, conversation_id = start_with_message(
        uow,
        entry.contact,
        entry.item,
        text,
        author_name=author_name,
        client_message_id=entry.client_message_id,
        dedupe_key=entry.dedupe_key,
        full_desks=full_desks,
    )
    return PostedMessage(message_id, conversation_id, entry.client_message_id)


def _post_one_in_savepoint(uow: UnitOfWork, entry: _Entry, *, look_up: bool) -> PostedMessage | DomainError:
    from loyaldesk.support.actions.post_message import post_one

    mark = uow.mark()
    savepoint = uow.session.begin_nested()
    try:
        message = post_one(
            uow, entry.contact.id, entry.item, entry.client_message_id, entry.dedupe_key, look_up=look_up
        )
        savepoint.commit()
    except DomainError as error:
        savepoint.rollback()
        uow.discard_since(mark)
        return error
    except BaseException:
        savepoint.rollback()
        uow.discard_since(mark)
        raise
    return PostedMessage(message.id, message.conversation_id, message.client_message_id)


class _FastLane:
    """Messages that add to an open, waiting conversation: checked one by one, written together."""

    def __init__(self, uow: UnitOfWork, results: list[Any]) -> None:
        self.uow = uow
        self.results = results
        self.pending: list[tuple[_Entry, Any, str, str]] = []  # entry, conversation, text, html
        self.keys: set[tuple[int, str | None]] = set()
        self._names: dict[int, str] | None = None

    @staticmethod
    def takes(entry: _Entry, conversation: Any) -> bool:
        """Whether the message changes nothing but the conversation's messages (see the module)."""
        item = entry.item
        return (
            not item.files
            and conversation.contact_id == entry.contact.id
            and conversation.status == _OPEN
            and rules.status_after_customer_message(conversation.status) == conversation.status
            and conversation.waiting_since is not None
        )

    def add(self, entry: _Entry, conversation: Any) -> None:
        text = check_message_body(entry.item.body)
        html = render_plain_text_html(text) if entry.item.plain_text else render_message_html(text)
        self.pending.append((entry, conversation, text, html))
        self.keys.add((entry.contact.store_id, entry.dedupe_key))

    def write(self) -> None:
        """Insert the pending messages and their events, and update each conversation once."""
        if not self.pending:
            return
        uow, pending = self.uow, self.pending
        self.pending = []
        now = uow.now()
        ids = reserve_ids(uow, _MESSAGES, len(pending))
        names = self._display_names([entry.contact for entry, *_ in pending])
        rows: list[dict[str, Any]] = []
        touched: dict[int, dict[str, Any]] = {}
        for message_id, (entry, conversation, text, html) in zip(ids, pending, strict=True):
            author_name = names.get(entry.contact.id) or entry.contact.name or _VISITOR
            rows.append(
                {
                    "id": message_id,
                    "store_id": conversation.store_id,
                    "conversation_id": conversation.id,
                    "author_kind": "customer",
                    "author_staff_id": None,
                    "author_name": author_name,
                    "body": text,
                    "body_html": html,
                    "internal": False,
                    "client_message_id": entry.client_message_id,
                    "dedupe_key": entry.dedupe_key,
                    "created_at": now,
                }
            )
            update_row = touched.setdefault(
                conversation.id, {"conversation": conversation.id, "at": now, "added": 0}
            )
            update_row["added"] += 1
            update_row["preview"] = " ".join(text.split())[:140]
            uow.emit(
                MessagePosted(
                    store_id=conversation.store_id,
                    customer_id=conversation.customer_id,
                    conversation_id=conversation.id,
                    internal=False,
                    message=customer_message_view(
                        message_id, conversation.id, author_name, html, entry.client_message_id, now
                    ),
                )
            )
            self.results[entry.index] = PostedMessage(message_id, conversation.id, entry.client_message_id)
        bulk_insert(uow, _MESSAGES, rows)
        session = uow.session
        session.execute(_ADD_TO_CONVERSATION, list(touched.values()))
        # An ORM copy loaded earlier in this transaction (another unit's) would now be stale.
        for conversation_id in touched:
            loaded = session.identity_map.get(Session.identity_key(Conversation, conversation_id))
            if loaded is not None:
                session.expire(loaded)

    def display_name(self, contact: Any) -> str:
        """The author name of ``contact``'s messages (as ``post_message._display_name``)."""
        return self._display_names([contact]).get(contact.id) or contact.name or _VISITOR

    def _display_names(self, contacts: list[Any]) -> dict[int, str]:
        """Contact id -> the customer's name, for the contacts linked to a customer with a name."""
        from loyaldesk.customers import Customer

        customer_ids = {contact.customer_id for contact in contacts if contact.customer_id is not None}
        if not customer_ids:
            return {}
        rows = self.uow.session.execute(
            select(Customer.id, Customer.first_name, Customer.last_name).where(Customer.id.in_(customer_ids))
        )
        by_customer = {
            customer_id: " ".join(part for part in (first, last) if part) for customer_id, first, last in rows
        }
        return {
            contact.id: by_customer[contact.customer_id]
            for contact in contacts
            if by_customer.get(contact.customer_id)
        }


def _contacts(session: Session, contact_ids: set[int]) -> dict[int, Any]:
    rows = session.execute(_CONTACT_ROWS, {"ids": list(contact_ids)})
    return {row.id: row for row in rows}


def _conversations(session: Session, conversation_ids: set[Any]) -> dict[int, Any]:
    if not conversation_ids:
        return {}
    rows = session.execute(_CONVERSATION_ROWS, {"ids": list(conversation_ids)})
    return {row.id: row for row in rows}


def _existing(session: Session, keys: list[tuple[int, str | None]]) -> dict[tuple[int, str], PostedMessage]:
    """The messages already stored under these (store, dedupe key) pairs."""
    wanted = {(store_id, key) for store_id, key in keys if key is not None}
    if not wanted:
        return {}
    c = _MESSAGES.c
    rows = session.execute(
        select(c.id, c.store_id, c.conversation_id, c.client_message_id, c.dedupe_key).where(
            tuple_(c.store_id, c.dedupe_key).in_(sorted(wanted))
        )
    )
    return {
        (row.store_id, row.dedupe_key): PostedMessage(row.id, row.conversation_id, row.client_message_id)
        for row in rows
    }
