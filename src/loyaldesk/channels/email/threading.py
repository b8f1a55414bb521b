"""Which conversation an email belongs to, and the headers that keep our replies in the customer's thread.

Conversation token format (version 1): ``<conversation id in decimal>-<mac>``, e.g. ``1234-mfrggzdfmztwq2lk``.
``mac`` is the first 10 bytes (80 bits) of HMAC-SHA256(secret, ``b"loyaldesk.conversation-token.v1:<id>"``)
in lower-case RFC 4648 base32 without padding: exactly 16 characters of ``a-z2-7``. Lower case only, so a
mail server that changes the case of a local part or subject cannot break it; URL-, address- and
subject-safe; the id has no leading zeros, so each conversation has exactly one token. Forging a token for
another conversation means guessing 80 bits. The token is not secret from the customer who receives it;
it proves "this reply was addressed by us to that conversation", nothing more.

It travels in two places: the Reply-To plus-address ``support+c-<token>@shop.example`` and a subject tag
``[#c-<token>]``. Rotating the secret invalidates old tokens; verify against the old secret as well for a
while (call ``verify_conversation_token`` once per secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from loyaldesk.channels.email.parsing import InboundEmail

MAX_REFERENCES = 20
MAX_REFERENCE_KEYS = 50
_TOKEN_PATTERN = r"(?:0|[1-9][0-9]{0,18})-[a-z2-7]{16}"
_TOKEN = re.compile(_TOKEN_PATTERN)
_ADDRESS_TOKEN = re.compile(rf"\+c-({_TOKEN_PATTERN})(?![a-z0-9])", re.IGNORECASE)
_SUBJECT_TOKEN = re.compile(rf"\[#c-({_TOKEN_PATTERN})\]", re.IGNORECASE)
_ANY_SUBJECT_TAG = re.compile(r"\s*\[#c-[^\]\s]{1,40}\]")
_REPLY_PREFIXES = re.compile(
    r"(\s*(re|aw|sv|antw|vs|réf|rif|odp|ynt|回复|答复)\s*(\[\d{1,4}\]|\(\d{1,4}\))?\s*[:\uff1a]\s*)+",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def make_conversation_token(secret: bytes | str, conversation_id: int) -> str:
    """The token for a conversation id (a non-negative int) under ``secret``; see the module doc."""
    if isinstance(conversation_id, bool) or not 0 <= conversation_id < 10**19:
        raise ValueError("conversation_id must be an integer from 0 to 10**19 - 1")
    return f"{conversation_id}-{_mac(secret, str(conversation_id))}"


def verify_conversation_token(secret: bytes | str, token: str) -> int | None:
    """The conversation id a token was made for, or None if it is malformed, forged or altered."""
    token = token.strip().lower()
    if not _TOKEN.fullmatch(token):
        return None
    conversation_id, mac = token.split("-")
    return int(conversation_id) if hmac.compare_digest(mac, _mac(secret, conversation_id)) else None


def _mac(secret: bytes | str, conversation_id: str) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, b"loyaldesk.conversation-token.v1:" + conversation_id.encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:10]).decode().lower()


def conversation_address(reply_address: str, token: str) -> str:
    """``support@shop.example`` + token -> ``support+c-<token>@shop.example``."""
    local, at, domain = reply_address.strip().rpartition("@")
    if not at or not local or not _DOMAIN.fullmatch(domain) or any(c in local for c in ' <>\r\n"+'):
        raise ValueError(f"not a plain reply address: {reply_address!r}")
    return f"{local}+c-{token}@{domain.lower()}"


def subject_tag(token: str) -> str:
    return f"[#c-{token}]"


@dataclass(frozen=True)
class ThreadKey:
    """One way to find the conversation: a verified conversation id, or a message id to look up."""

    source: str  # "address", "subject", "in-reply-to" or "references"
    conversation_id: int | None = None
    message_id: str | None = None


def thread_keys(email: InboundEmail, *, reply_domain: str, secret: bytes | str) -> list[ThreadKey]:
    """Candidate keys, best first: verified tokens in a recipient address at ``reply_domain`` (plus-part),
    then in the subject tag, then In-Reply-To, then References newest first (at most 50). Forged or
    altered tokens are left out. The caller takes the first key that finds a conversation of this store;
    an empty list means the message starts a new conversation (if the loop guard allows).
    """
    keys: list[ThreadKey] = []
    seen_conversations: set[int] = set()
    domain = reply_domain.strip().lower()

    def add_token(source: str, token: str) -> None:
        conversation_id = verify_conversation_token(secret, token)
        if conversation_id is not None and conversation_id not in seen_conversations:
            seen_conversations.add(conversation_id)
            keys.append(ThreadKey(source, conversation_id=conversation_id))

    for address in email.recipient_addresses:
        local, _, address_domain = address.rpartition("@")
        if address_domain == domain:
            for match in _ADDRESS_TOKEN.finditer(local):
                add_token("address", match[1])
    for match in _SUBJECT_TOKEN.finditer(email.subject[:2000]):
        add_token("subject", match[1])
    seen_ids: set[str] = set()
    if email.in_reply_to:
        seen_ids.add(email.in_reply_to)
        keys.append(ThreadKey("in-reply-to", message_id=email.in_reply_to))
    for message_id in reversed(email.references[-MAX_REFERENCE_KEYS:]):
        if message_id not in seen_ids:
            seen_ids.add(message_id)
            keys.append(ThreadKey("references", message_id=message_id))
    return keys


@dataclass(frozen=True)
class ReplyHeaders:
    """Threading headers of one outbound message; message ids are stored without angle brackets."""

    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    reply_to: str
    conversation_token: str
    automatic: bool

    def as_pairs(self) -> list[tuple[str, str]]:
        """(name, value) pairs ready for an ``email.message.EmailMessage``."""
        pairs = [
            ("Message-ID", f"<{self.message_id}>"),
            ("Subject", self.subject),
            ("Reply-To", self.reply_to),
        ]
        if self.in_reply_to:
            pairs.append(("In-Reply-To", f"<{self.in_reply_to}>"))
        if self.references:
            pairs.append(("References", " ".join(f"<{message_id}>" for message_id in self.references)))
        if self.automatic:
            # RFC 3834 for our automatic mail; Exchange's own header asks its auto-replies not to answer.
            pairs += [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]
        pairs.append(("X-Loyaldesk-Conversation", self.conversation_token))
        return pairs


def compose_reply_headers(
    *,
    secret: bytes | str,
    conversation_id: int,
    message_id_domain: str,
    reply_address: str,
    subject: str,
    parent_message_id: str | None = None,
    parent_references: Sequence[str] = (),
    automatic: bool = False,
    unique: str | None = None,
) -> ReplyHeaders:
    """Headers for a reply in a conversation.

    A new Message-ID on ``message_id_domain`` (``unique`` makes it deterministic in tests; otherwise 128
    random bits). In-Reply-To is the parent; References are the parent's references plus the parent,
    capped at ``MAX_REFERENCES`` by keeping the first (thread root) and the latest. The subject gets one
    "Re: " (repeated or localised prefixes and old tags removed) and the token tag. ``automatic`` marks
    machine-sent mail (acknowledgements, surveys) with Auto-Submitted: auto-replied; never for a person's
    reply. Raises ValueError for a malformed domain or reply address (our configuration, not user input).
    """
    if not _DOMAIN.fullmatch(message_id_domain.strip()):
        raise ValueError(f"not a domain: {message_id_domain!r}")
    token = make_conversation_token(secret, conversation_id)
    local = unique if unique is not None else secrets.token_hex(16)
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", local):
        raise ValueError("unique must be 1 to 100 of A-Z a-z 0-9 . _ -")
    chain = [reference for reference in parent_references if _is_message_id(reference)]
    if parent_message_id and _is_message_id(parent_message_id):
        chain.append(parent_message_id)
    chain = list(dict.fromkeys(chain))
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return ReplyHeaders(
        message_id=f"{local}@{message_id_domain.strip().lower()}",
        in_reply_to=parent_message_id if parent_message_id and _is_message_id(parent_message_id) else None,
        references=tuple(chain),
        subject=reply_subject(subject, token),
        reply_to=conversation_address(reply_address, token),
        conversation_token=token,
        automatic=automatic,
    )


def reply_subject(subject: str, token: str) -> str:
    """``"RE: Re: AW: Where is my order [#c-old]"`` -> ``"Re: Where is my order [#c-<token>]"``."""
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", subject[:1000]).split())
    text = _ANY_SUBJECT_TAG.sub("", text)
    prefix = _REPLY_PREFIXES.match(text)
    base = text[prefix.end() :] if prefix else text
    return f"Re: {base.strip()[:200] or '(no subject)'} {subject_tag(token)}"


def _is_message_id(value: str) -> bool:
    return 3 <= len(value) <= 500 and "@" in value and not re.search(r"[\s<>\x00-\x1f\x7f]", value)
