"""Referral codes, links and the fraud checks on a referral. Pure: no I/O, no clock of its own.

A member shares a code (or a link carrying it); a friend who signs up with it is *referred*. Before any
reward is promised, ``check_referral`` compares the two people (email, phone, delivery addresses, account
age) and the referrer's recent referrals against the store's ``ReferralPolicy``. Every check runs and every
failure is reported in words a manager can read, because rejected referrals are shown to managers.

Comparisons go through canonical forms (``canonical_email``, ``canonical_phone``, ``canonical_address``);
each is idempotent, so a stored canonical form can be compared with a freshly computed one. A missing or
blank value never matches anything: absence of data is not evidence of fraud.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from loyaldesk.kernel.errors import Invalid

# No 0/O, 1/I/L: a code read aloud, printed on a flyer or typed from a phone cannot be misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MINIMUM_SEED_BYTES = 8
_NEVER_IN_CODES = frozenset("0O1IL")
_CODE_SEPARATORS = re.compile(r"[\s\-_.]+")

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Local parts shorter than this differ by one character too often between unrelated people (ann/anna).
LOOK_ALIKE_MINIMUM_LOCAL_LENGTH = 6

# Fewer digits than this is a placeholder ("0", "123"), not a phone number: it never matches.
MINIMUM_PHONE_DIGITS = 6
# Countries whose numbers keep their leading 0 after the country code (+39 06 ... for Rome).
_COUNTRIES_KEEPING_LEADING_ZERO = frozenset({"39", "378", "379"})

_STREET_WORDS = {
    "street": "st", "road": "rd", "avenue": "ave", "av": "ave", "drive": "dr", "lane": "ln",
    "boulevard": "blvd", "place": "pl", "court": "ct", "square": "sq", "strasse": "str",
}  # fmt: skip
# A house number: 12, 12a, 12-14, 12/3; not an ordinal such as 5th (that is part of a street name).
_HOUSE_NUMBER = re.compile(r"\d+[a-z]{0,2}([-/]\d+[a-z]{0,2})?")
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)")
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def new_referral_code(seed_bytes: bytes) -> str:
    """A code of ``CODE_LENGTH`` characters from ``CODE_ALPHABET``, the same for the same bytes.

    Pass ``secrets.token_bytes(16)``; at least ``MINIMUM_SEED_BYTES`` are required (``ValueError``).
    There are 31**8 (about 8.5e11) codes, so two members *will* eventually draw the same one: store codes
    under a unique constraint and draw again on a clash.
    """
    if len(seed_bytes) < MINIMUM_SEED_BYTES:
        raise ValueError(f"a referral code needs at least {MINIMUM_SEED_BYTES} seed bytes")
    base, number = len(CODE_ALPHABET), int.from_bytes(seed_bytes, "big")
    # The seed's low base**8 residue, in base 31; with 8+ seed bytes the bias is below 1 in 20 million.
    return "".join(CODE_ALPHABET[number // base**place % base] for place in reversed(range(CODE_LENGTH)))


def normalise_code(text: str) -> str:
    """The referral code a person typed, as stored: trimmed, upper-case, separators (space - _ .) removed.

    Raises ``Invalid`` on field ``referral_code`` when the result is not a well-formed code. Look-alikes
    are rejected, not mapped: 0/O and 1/I/L are all absent from the alphabet, so there is nothing valid to
    map them to, and guessing would credit the wrong member.
    """
    compact = _CODE_SEPARATORS.sub("", text.strip())
    if not compact:
        raise Invalid.field("referral_code", "is empty")
    if not compact.isascii():
        raise Invalid.field("referral_code", "may contain only the digits 2-9 and the letters A-Z")
    code = compact.upper()
    look_alikes = ", ".join(f"'{symbol}'" for symbol in sorted(set(code) & _NEVER_IN_CODES))
    if look_alikes:
        raise Invalid.field("referral_code", f"contains {look_alikes}; codes never use 0, O, 1, I or L")
    if set(code) - set(CODE_ALPHABET):
        raise Invalid.field("referral_code", "may contain only the digits 2-9 and the letters A-Z")
    if len(code) != CODE_LENGTH:
        raise Invalid.field("referral_code", f"must be {CODE_LENGTH} characters long, not {len(code)}")
    return code


def referral_link(landing_url: str, code: str, parameter: str = "ref") -> str:
    """``landing_url`` with ``parameter=code`` in its query, replacing any earlier value of it."""
    parts = urlsplit(landing_url)
    query = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0] != parameter]
    return urlunsplit(parts._replace(query=urlencode([*query, (parameter, code)])))


def canonical_email(email: str | None) -> str:
    """The form two addresses of one mailbox share; ``""`` for a missing one. Idempotent.

    Lower-cased, whitespace removed; a "+tag" is dropped for every provider; for gmail.com (and
    googlemail.com, which becomes gmail.com) dots in the local part are dropped, as Gmail ignores them. A
    step that would leave the local part empty is skipped. Text without "@" is only cleaned.
    """
    text = "".join((email or "").split()).lower()  # an address has no whitespace; a stray space is a typo
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def bounded_edit_distance(first: str, second: str, limit: int) -> int:
    """The Levenshtein distance of the two strings, or ``limit + 1`` as soon as it must exceed ``limit``.

    Costs O(len * len) at worst but stops at the first row whose every cell exceeds ``limit`` (a row's
    minimum never decreases further down), and at once when the lengths alone differ by more.
    """
    if limit < 0:
        raise ValueError("limit must be 0 or more")
    if first == second:
        return 0
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for row, first_symbol in enumerate(first, start=1):
        current = [row]
        for column, second_symbol in enumerate(second, start=1):
            substitution = previous[column - 1] + (first_symbol != second_symbol)
            current.append(min(previous[column] + 1, current[column - 1] + 1, substitution))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def emails_look_alike(first: str | None, second: str | None) -> bool:
    """Whether two addresses are probably one person's: the same canonical form, or, on the same domain,
    canonical local parts of at least ``LOOK_ALIKE_MINIMUM_LOCAL_LENGTH`` characters one edit apart
    (jane.doe1@x.com and jane.doe2@x.com). Symmetric; blank addresses never look alike."""
    first_canonical, second_canonical = canonical_email(first), canonical_email(second)
    if not first_canonical or not second_canonical:
        return False
    if first_canonical == second_canonical:
        return True
    first_local, first_at, first_domain = first_canonical.rpartition("@")
    second_local, second_at, second_domain = second_canonical.rpartition("@")
    if not (first_at and second_at) or first_domain != second_domain:
        return False
    if min(len(first_local), len(second_local)) < LOOK_ALIKE_MINIMUM_LOCAL_LENGTH:
        return False
    return bounded_edit_distance(first_local, second_local, 1) <= 1


def _digits(text: str) -> str:
    # int() reads every Unicode decimal digit (Arabic-Indic, full-width...), so people type as they like.
    return "".join(str(int(symbol)) for symbol in text if symbol.isdecimal())


def canonical_phone(phone: str | None, default_country_code: str | None) -> str:
    """``+<country code><number>`` when the country is known, otherwise the bare digits; ``""`` if none.

    Only digits are kept. A leading "+" or "00" marks an international number (a "(0)" inside one, as in
    "+44 (0)20 ...", is dropped). A national number with a leading 0 gets ``default_country_code``
    ("44" or "+44") in place of the 0 (Italy, San Marino and the Vatican keep the 0). Any other number
    stays bare digits: it may be national or international without "+", which ``same_phone`` allows for.
    Idempotent for a fixed ``default_country_code``.
    """
    text = (phone or "").strip()
    international = text.startswith(("+", "00"))
    if international:
        text = text.replace("(0)", "")
    digits = _digits(text)
    if text.startswith("+"):
        return f"+{digits}" if digits else ""
    if digits.startswith("00"):
        return f"+{digits[2:]}" if digits[2:] else ""
    country = _digits(default_country_code or "")
    if digits.startswith("0") and country:
        national = digits if country in _COUNTRIES_KEEPING_LEADING_ZERO else digits[1:]
        return f"+{country}{national}"
    return digits


def same_phone(first: str | None, second: str | None, default_country_code: str | None) -> bool:
    """Whether two phone numbers reach the same line. Symmetric.

    Equal canonical forms match; a bare-digit form also matches an international one whose digits it
    equals with or without ``default_country_code`` in front. Numbers of fewer than
    ``MINIMUM_PHONE_DIGITS`` digits never match.
    """
    first_canonical = canonical_phone(first, default_country_code)
    second_canonical = canonical_phone(second, default_country_code)
    if min(len(first_canonical.lstrip("+")), len(second_canonical.lstrip("+"))) < MINIMUM_PHONE_DIGITS:
        return False
    if first_canonical == second_canonical:
        return True
    if first_canonical.startswith("+") == second_canonical.startswith("+"):
        return False  # both international or both bare, and different
    international, bare = sorted((first_canonical, second_canonical), key=lambda form: form[0] != "+")
    country = _digits(default_country_code or "")
    return international[1:] == bare or (bool(country) and international[1:] == country + bare)


def _first(address: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = address.get(key)
        if value is not None and str(value).strip():
            return str(value)
    return ""


def _words(text: str) -> list[str]:
    return re.sub(r"[,;]", " ", text.casefold()).replace(".", "").replace("'", "").split()


def _street_word(word: str) -> str:
    word = _STREET_WORDS.get(word, word)
    # German compounds: Hauptstraße, Hauptstrasse and Hauptstr. are one street (casefold made ß "ss").
    if word.endswith("strasse"):
        return word.removesuffix("strasse") + "str"
    return word


def canonical_address(address: Mapping[str, Any]) -> dict[str, str]:
    """The comparable parts of a postal address, each ``""`` when absent. Idempotent.

    Reads Shopify-style keys (``address1``, ``address2``, ``zip``, ``city``, ``country_code`` or
    ``country``) or this function's own output keys. Every part is case-folded with whitespace collapsed;
    the postal code loses spaces and hyphens; street words are abbreviated (street/st, road/rd, avenue/ave,
    straße/strasse/str, ...). The house number is ``house_number`` if given, else the first number-like
    word of the street line ("123 Elm St" and "Elm Street 123" both give "elm st", number "123").
    """
    words = [_street_word(word) for word in _words(_first(address, "street", "address1", "line1"))]
    house_number = " ".join(_words(_first(address, "house_number")))
    if not house_number:
        for index, word in enumerate(words):
            if _HOUSE_NUMBER.fullmatch(word) and not _ORDINAL.fullmatch(word):
                house_number = words.pop(index)
                break
    postal_code = re.sub(r"[\s\-]+", "", _first(address, "postal_code", "zip", "postcode").casefold())
    return {
        "country": " ".join(_words(_first(address, "country_code", "country"))),
        "postal_code": postal_code,
        "city": " ".join(_words(_first(address, "city"))),
        "street": " ".join(words),
        "house_number": house_number,
        "unit": " ".join(_words(_first(address, "unit", "address2", "line2"))),
    }


def same_address(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Whether two addresses are one door. Symmetric.

    Both need a street; the street (compared without spaces or hyphens, so "Haupt Str" is "Hauptstr") and
    the house number must be equal, and so must the postal codes, or, when either lacks a postal code, the
    cities (both present). Countries, and units (flat, suite: ``address2``), must be equal when both are
    given, so that two flats of one building are different doors.
    """
    one, other = canonical_address(first), canonical_address(second)
    if not one["street"] or not other["street"]:
        return False
    for optional in ("country", "unit"):
        if one[optional] and other[optional] and one[optional] != other[optional]:
            return False
    if one["postal_code"] and other["postal_code"]:
        same_place = one["postal_code"] == other["postal_code"]
    else:
        same_place = bool(one["city"]) and one["city"] == other["city"]

    one_street, other_street = (re.sub(r"[\s\-]+", "", parts["street"]) for parts in (one, other))
    return same_place and one_street == other_street and one["house_number"] == other["house_number"]


class ReferralCheck(StrEnum):
    SELF_REFERRAL = "self_referral"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"
    NEW_MEMBER = "new_member"
    REFERRAL_LIMIT = "referral_limit"


@dataclass(frozen=True)
class PersonFacts:
    """What the checks know of one member. ``created_at`` is when they joined (aware)."""

    customer_id: int | str
    email: str | None
    phone: str | None
    addresses: Sequence[Mapping[str, Any]]
    created_at: datetime


@dataclass(frozen=True)
class ReferralCandidate:
    """A referral to judge at ``now``; ``referrer_recent_referral_times`` are the referrer's earlier
    referrals that count towards the limit (the caller decides which: usually the accepted ones)."""

    referrer: PersonFacts
    referred: PersonFacts
    now: datetime
    referrer_recent_referral_times: Sequence[datetime] = ()

    def __post_init__(self) -> None:
        instants = [self.now, self.referrer.created_at, self.referred.created_at]
        if any(instant.tzinfo is None for instant in [*instants, *self.referrer_recent_referral_times]):
            raise ValueError("referral times must be timezone-aware")


@dataclass(frozen=True)
class ReferralPolicy:
    """A store's referral rules. At most ``max_referrals`` per referrer in any ``per_period`` ending now;
    each ``check_*`` turns one fraud check on; ``new_member_window`` (off when ``None``) refuses friends
    who joined longer than that before the referral. The self-referral check is always on."""

    max_referrals: int = 10
    per_period: timedelta = timedelta(days=30)
    check_email: bool = True
    check_phone: bool = True
    check_address: bool = True
    default_country_code: str | None = None
    new_member_window: timedelta | None = None

    def __post_init__(self) -> None:
        if self.max_referrals < 0:
            raise Invalid.field("max_referrals", "must be 0 or more")
        if self.per_period < timedelta(seconds=1):
            raise Invalid.field("per_period", "must be at least one second")
        if self.new_member_window is not None and self.new_member_window < timedelta(0):
            raise Invalid.field("new_member_window", "must not be negative")


@dataclass(frozen=True)
class ReferralVerdict:
    """``accepted`` when no check failed; otherwise one plain-language reason per failed check, in the
    order of ``failed_checks``."""

    accepted: bool
    reasons: list[str] = field(default_factory=list)
    failed_checks: list[ReferralCheck] = field(default_factory=list)


def describe_period(period: timedelta) -> str:
    """A period (at least a second) in its largest whole unit: "30 days", "1 day", "36 hours"."""
    seconds = int(period.total_seconds())
    unit, size = next((unit, size) for unit, size in _UNITS if seconds % size == 0)
    count = seconds // size
    return f"{count} {unit}" + ("" if count == 1 else "s")


def check_referral(candidate: ReferralCandidate, policy: ReferralPolicy) -> ReferralVerdict:
    """Judge a referral: every check runs, and every failing one is listed with its reason.

    Reasons, in this order: self-referral (same customer id), email look-alike, same phone, a shared
    delivery address (any of the friend's against any of the referrer's), a friend who is not new, and the
    referrer's limit (referrals at or after ``now - per_period`` count, later ones too).
    """
    referrer, referred, now = candidate.referrer, candidate.referred, candidate.now
    failures: dict[ReferralCheck, str] = {}
    if referrer.customer_id == referred.customer_id:
        failures[ReferralCheck.SELF_REFERRAL] = "a member cannot refer themselves"
    if policy.check_email and emails_look_alike(referred.email, referrer.email):
        shown = f"{(referred.email or '').strip()} vs {(referrer.email or '').strip()}"
        failures[ReferralCheck.EMAIL] = f"referred friend's email looks like the referrer's ({shown})"
    if policy.check_phone and same_phone(referred.phone, referrer.phone, policy.default_country_code):
        failures[ReferralCheck.PHONE] = "same phone number as the referrer"
    pairs = ((theirs, ours) for theirs in referred.addresses for ours in referrer.addresses)
    if policy.check_address and any(same_address(theirs, ours) for theirs, ours in pairs):
        failures[ReferralCheck.ADDRESS] = "same delivery address as the referrer"
    window = policy.new_member_window
    if window is not None and now - referred.created_at > window:
        failures[ReferralCheck.NEW_MEMBER] = (
            f"the friend was already a member (joined {referred.created_at.date().isoformat()}); only "
            f"members who joined within {describe_period(window)} before the referral can be referred"
        )
    since = now - policy.per_period
    recent = sum(1 for instant in candidate.referrer_recent_referral_times if instant >= since)
    if recent >= policy.max_referrals:
        period = describe_period(policy.per_period).removeprefix("1 ")  # "the last day", not "the last 1 day"
        friends = "friend" if recent == 1 else "friends"
        failures[ReferralCheck.REFERRAL_LIMIT] = (
            f"the referrer already referred {recent} {friends} in the last {period} "
            f"(limit {policy.max_referrals})"
        )
    return ReferralVerdict(not failures, list(failures.values()), list(failures))
