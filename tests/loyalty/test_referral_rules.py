"""Referral rules, tested exhaustively: codes and links, canonical email/phone/address, fraud checks."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaldesk.kernel.errors import Invalid
from loyaldesk.loyalty.rules.referrals import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PersonFacts,
    ReferralCandidate,
    ReferralCheck,
    ReferralPolicy,
    bounded_edit_distance,
    canonical_address,
    canonical_email,
    canonical_phone,
    check_referral,
    describe_period,
    emails_look_alike,
    new_referral_code,
    normalise_code,
    referral_link,
    same_address,
    same_phone,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ELM = {"address1": "123 Elm St.", "city": "Ottawa", "zip": "K2H 7A8", "country_code": "CA"}
ARABIC_INDIC = {ord(digit): chr(0x0660 + int(digit)) for digit in "0123456789"}
OAK = {"address1": "9 Oak Road", "city": "Leeds", "zip": "LS1 4AP", "country_code": "GB"}


def person(
    customer_id: int, email: str | None = None, phone: str | None = None, *addresses: Any
) -> PersonFacts:
    return PersonFacts(customer_id, email, phone, list(addresses), NOW - timedelta(days=1))


def candidate(
    referrer: PersonFacts, referred: PersonFacts, times: list[datetime] | None = None
) -> ReferralCandidate:
    return ReferralCandidate(referrer, referred, NOW, times or [])


# -- codes and links ------------------------------------------------------------------------------------


def test_codes_are_eight_unambiguous_symbols_determined_by_the_seed() -> None:
    assert CODE_ALPHABET == "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    assert new_referral_code(bytes(8)) == "22222222"
    assert new_referral_code(b"\x00" * 7 + b"\x01") == "22222223"
    assert new_referral_code(b"seed-0001") == new_referral_code(b"seed-0001")
    codes = {new_referral_code(number.to_bytes(8, "big")) for number in range(2000)}
    assert len(codes) == 2000  # distinct seeds below 31**8 give distinct codes


def test_a_code_needs_eight_seed_bytes() -> None:
    with pytest.raises(ValueError, match="at least 8 seed bytes"):
        new_referral_code(b"short")


@given(st.binary(min_size=8, max_size=64))
def test_every_code_is_well_formed_and_survives_normalising(seed: bytes) -> None:
    code = new_referral_code(seed)
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("0O1IL")
    assert normalise_code(code) == code


@given(st.binary(min_size=8, max_size=16), st.lists(st.sampled_from([" ", "-", "_", "."]), max_size=7))
def test_typed_codes_normalise_to_the_stored_code(seed: bytes, separators: list[str]) -> None:
    code = new_referral_code(seed)
    typed = "".join(symbol + (separators[i] if i < len(separators) else "") for i, symbol in enumerate(code))
    assert normalise_code(f"  {typed.lower()}\n") == code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("abcd2345", "ABCD2345"),
        (" ABCD-2345 ", "ABCD2345"),
        ("abcd 2345", "ABCD2345"),
        ("a.b_c-d 2.3 45", "ABCD2345"),
    ],
)
def test_normalise_code_accepts_what_people_type(typed: str, expected: str) -> None:
    assert normalise_code(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "is empty"),
        ("  - ", "is empty"),
        ("ABCD0345", "contains '0'"),
        ("abcdo345", "contains 'O'"),
        ("ABCD1I45", "contains '1', 'I'"),
        ("LLLL2345", "contains 'L'"),
        ("ÄBCD2345", "may contain only the digits 2-9 and the letters A-Z"),
        ("ABCD#345", "may contain only the digits 2-9 and the letters A-Z"),
        ("ABCD234", "must be 8 characters long, not 7"),
        ("ABCD23456", "must be 8 characters long, not 9"),
    ],
)
def test_normalise_code_rejects_malformed_codes_naming_the_field(typed: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        normalise_code(typed)
    assert caught.value.problems[0].field == "referral_code"
    assert reason in caught.value.problems[0].reason


@pytest.mark.parametrize(
    ("landing_url", "expected"),
    [
        ("https://shop.example/", "https://shop.example/?ref=ABCD2345"),
        ("https://shop.example/hi?utm=mail", "https://shop.example/hi?utm=mail&ref=ABCD2345"),
        ("https://shop.example/?ref=OLD&x=1#top", "https://shop.example/?x=1&ref=ABCD2345#top"),
    ],
)
def test_referral_link_carries_the_code(landing_url: str, expected: str) -> None:
    assert referral_link(landing_url, "ABCD2345") == expected


# -- email ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("Jane.Doe@Gmail.com", "janedoe@gmail.com"),
        ("jane.doe+shop@googlemail.com", "janedoe@gmail.com"),
        (" Jane.Doe+x@Example.COM ", "jane.doe@example.com"),
        ("jane+a+b@x.com", "jane@x.com"),
        ("jane doe@x.com", "janedoe@x.com"),
        (". @gmail.com", ".@gmail.com"),
        ("+tag@x.com", "+tag@x.com"),  # dropping the tag would leave nothing
        ("...@gmail.com", "...@gmail.com"),
        ("a.b@c@gmail.com", "ab@c@gmail.com"),
        ("not-an-email", "not-an-email"),
        ("", ""),
        (None, ""),
    ],
)
def test_canonical_email(email: str | None, expected: str) -> None:
    assert canonical_email(email) == expected


@pytest.mark.parametrize(
    ("first", "second", "look_alike"),
    [
        ("jane.doe1@x.com", "jane.doe2@x.com", True),
        ("jane.doe@gmail.com", "JaneDoe+promo@googlemail.com", True),
        ("johnsmith@x.com", "jonsmith@x.com", True),  # one deletion
        ("johnsmith@x.com", "johnsmith1@x.com", True),  # one insertion
        ("ann@x.com", "ANN+2@x.com", True),  # same canonical form, however short
        ("ann1@x.com", "ann2@x.com", False),  # too short to call one edit suspicious
        ("jane5@x.com", "jane.doe5@x.com", False),
        ("jane.doe1@x.com", "jane.doe1@y.com", False),  # another domain
        ("jane.doe@x.com", "jnae.doe@x.com", False),  # a transposition is two edits
        ("jane.doe@x.com", "john.roe@x.com", False),
        ("jane.doe1", "jane.doe2", False),
        ("", "", False),
        (None, None, False),
        ("jane.doe@x.com", None, False),
    ],
)
def test_emails_look_alike(first: str | None, second: str | None, look_alike: bool) -> None:
    assert emails_look_alike(first, second) is look_alike
    assert emails_look_alike(second, first) is look_alike


def reference_levenshtein(first: str, second: str) -> int:
    previous = list(range(len(second) + 1))
    for row, a in enumerate(first, start=1):
        current = [row]
        for column, b in enumerate(second, start=1):
            current.append(min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (a != b)))
        previous = current
    return previous[-1]


@pytest.mark.parametrize(
    ("first", "second", "limit", "expected"),
    [("kitten", "sitting", 5, 3), ("kitten", "sitting", 1, 2), ("", "abc", 3, 3), ("abc", "abc", 0, 0)],
)
def test_bounded_edit_distance(first: str, second: str, limit: int, expected: int) -> None:
    assert bounded_edit_distance(first, second, limit) == expected


def test_bounded_edit_distance_needs_a_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        bounded_edit_distance("a", "b", -1)


@given(st.text("abc", max_size=8), st.text("abc", max_size=8), st.integers(0, 4))
def test_bounded_edit_distance_is_levenshtein_capped_at_limit_plus_one(
    first: str, second: str, limit: int
) -> None:
    expected = min(reference_levenshtein(first, second), limit + 1)
    assert bounded_edit_distance(first, second, limit) == expected
    assert bounded_edit_distance(second, first, limit) == expected


emails = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(alphabet="aAbB.+1 ", max_size=10),
    st.sampled_from(["gmail.com", "GoogleMail.com", "x.com", "X.com", ""]),
)


@given(st.one_of(emails, st.text(max_size=20)))
def test_canonical_email_is_idempotent(email: str) -> None:
    assert canonical_email(canonical_email(email)) == canonical_email(email)


@given(st.one_of(emails, st.none()), st.one_of(emails, st.none()))
def test_look_alike_is_symmetric_and_reflexive(first: str | None, second: str | None) -> None:
    assert emails_look_alike(first, second) == emails_look_alike(second, first)
    assert emails_look_alike(first, first) == bool(canonical_email(first))


# -- phone ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        ("+44 20 7946 0000", None, "+442079460000"),
        ("0044 20 7946 0000", "1", "+442079460000"),
        ("020 7946 0000", "44", "+442079460000"),
        ("020-7946-0000", "+44", "+442079460000"),
        ("+44 (0)20 7946 0000", "44", "+442079460000"),
        ("020 7946 0000", None, "02079460000"),  # national, country unknown
        ("06 1234 5678", "39", "+390612345678"),  # Italy keeps the 0
        ("(415) 555-1234", "1", "4155551234"),  # no trunk 0: national or international, left bare
        ("020 7946 0000".translate(ARABIC_INDIC), "44", "+442079460000"),  # people type their own digits
        ("+", None, ""),
        ("00", "44", ""),
        ("call me", "44", ""),
        ("", "44", ""),
        (None, "44", ""),
    ],
)
def test_canonical_phone(phone: str | None, country: str | None, expected: str) -> None:
    assert canonical_phone(phone, country) == expected


@pytest.mark.parametrize(
    ("first", "second", "country", "same"),
    [
        ("020 7946 0000", "+44 20 7946 0000", "44", True),
        ("020 7946 0000", "+44 20 7946 0000", None, False),  # the national number's country is unknown
        ("(415) 555-1234", "+1 415-555-1234", "1", True),
        ("44 20 7946 0000", "+44 20 7946 0000", None, True),  # international without "+"
        ("+44 20 7946 0000", "+33 20 7946 0000", "44", False),
        ("020 7946 0000", "020 7946 0001", "44", False),
        ("4155551234", "4155551235", None, False),
        ("12345", "12345", None, False),  # too short to be a phone number
        (None, None, "44", False),
        ("", "+44 20 7946 0000", "44", False),
    ],
)
def test_same_phone(first: str | None, second: str | None, country: str | None, same: bool) -> None:
    assert same_phone(first, second, country) is same
    assert same_phone(second, first, country) is same


phones = st.one_of(st.text(alphabet="0123456789+()- ", max_size=16), st.text(max_size=12))
countries = st.sampled_from([None, "", "44", "+44", "1", "39", "+39"])


@given(phones, countries)
def test_canonical_phone_is_idempotent(phone: str, country: str | None) -> None:
    once = canonical_phone(phone, country)
    assert canonical_phone(once, country) == once


@given(phones, phones, countries)
def test_same_phone_is_symmetric(first: str, second: str, country: str | None) -> None:
    assert same_phone(first, second, country) == same_phone(second, first, country)


# -- address --------------------------------------------------------------------------------------------


def test_canonical_address_of_a_shopify_address() -> None:
    assert canonical_address(ELM) == {
        "country": "ca",
        "postal_code": "k2h7a8",
        "city": "ottawa",
        "street": "elm st",
        "house_number": "123",
        "unit": "",
    }


@pytest.mark.parametrize(
    ("address", "street", "house_number"),
    [
        ({"address1": "Elm  Street 123"}, "elm st", "123"),
        ({"address1": "Hauptstraße 5a"}, "hauptstr", "5a"),
        ({"address1": "HAUPTSTRASSE 5A"}, "hauptstr", "5a"),
        ({"address1": "Hauptstr. 5a"}, "hauptstr", "5a"),
        ({"address1": "10 5th Avenue"}, "5th ave", "10"),
        ({"address1": "5th Avenue 10"}, "5th ave", "10"),
        ({"address1": "12-14 Mill Road"}, "mill rd", "12-14"),
        ({"street": "Keizersgracht", "house_number": "1"}, "keizersgracht", "1"),
        ({"address1": "Rose Lane"}, "rose ln", ""),
        ({}, "", ""),
    ],
)
def test_canonical_street_and_house_number(address: dict[str, Any], street: str, house_number: str) -> None:
    canonical = canonical_address(address)
    assert (canonical["street"], canonical["house_number"]) == (street, house_number)


@pytest.mark.parametrize(
    ("other", "same"),
    [
        ({"address1": "123 elm street", "zip": "k2h7a8", "country_code": "ca"}, True),
        ({"address1": "Elm Street 123", "zip": "K2H-7A8"}, True),  # no country: not a difference
        ({"address1": "123 Elm St", "city": "OTTAWA"}, True),  # no postal code: cities decide
        ({"address1": "123 Elm St", "city": "Toronto"}, False),
        ({"address1": "123 Elm St"}, False),  # no place to compare
        ({"address1": "124 Elm St", "zip": "K2H 7A8"}, False),
        ({"address1": "123 Elm St", "zip": "K2H 7A9"}, False),
        ({"address1": "123 Elm St", "zip": "K2H 7A8", "country": "US"}, False),
        ({"address1": "123 Elm St", "address2": "Apt 4", "zip": "K2H 7A8"}, True),  # one side has no unit
        ({"address1": "", "zip": "K2H 7A8"}, False),
    ],
)
def test_same_address(other: dict[str, Any], same: bool) -> None:
    assert same_address(ELM, other) is same
    assert same_address(other, ELM) is same


def test_two_flats_of_one_building_are_different_doors() -> None:
    first = {**ELM, "address2": "Apt 4"}
    assert same_address(first, {**ELM, "address2": "apt. 4"})
    assert not same_address(first, {**ELM, "address2": "Apt 5"})


@pytest.mark.parametrize("street", ["Hauptstraße 5", "Hauptstr. 5", "Haupt Strasse 5", "Haupt-Straße 5"])
def test_german_street_spellings_are_one_street(street: str) -> None:
    assert same_address({"address1": "Hauptstrasse 5", "zip": "10115"}, {"address1": street, "zip": "10 115"})


def test_non_text_values_are_read_as_text() -> None:
    assert same_address(
        {"address1": "Hauptstr 5", "zip": 10115}, {"address1": "Hauptstr 5", "zip": "10115", "city": None}
    )


address_parts = st.text(alphabet=string.ascii_letters + string.digits + " .,-/'ßé", max_size=24)
addresses = st.fixed_dictionaries(
    {},
    optional={
        key: st.one_of(
            address_parts,
            st.sampled_from(["Street", "Straße 5", "5th Ave 12", "12b"]),
            st.none(),
            st.text(max_size=8),
        )
        for key in ("address1", "address2", "zip", "city", "country_code", "country", "house_number")
    },
)


@given(addresses)
def test_canonical_address_is_idempotent(address: dict[str, Any]) -> None:
    once = canonical_address(address)
    assert canonical_address(once) == once


@given(addresses, addresses)
def test_same_address_is_symmetric_and_agrees_with_the_canonical_form(first: Any, second: Any) -> None:
    assert same_address(first, second) == same_address(second, first)
    assert same_address(first, second) == same_address(canonical_address(first), second)


# -- the referral check ---------------------------------------------------------------------------------

ALL_OFF = ReferralPolicy(max_referrals=5, check_email=False, check_phone=False, check_address=False)


def test_a_clean_referral_is_accepted() -> None:
    referrer = person(1, "jane.doe@x.com", "+44 20 7946 0000", ELM)
    friend = person(2, "sam.smith@y.com", "+44 20 7946 0001", OAK)
    verdict = check_referral(candidate(referrer, friend), ReferralPolicy(default_country_code="44"))
    assert verdict.accepted
    assert verdict.reasons == []
    assert verdict.failed_checks == []


def test_every_failing_check_is_listed_in_plain_language_in_order() -> None:
    referrer = person(1, "jane.doe1@x.com", "020 7946 0000", OAK, ELM)
    friend = person(
        2, " jane.doe2@x.com", "+44 20 7946 0000", {"address1": "Elm Street 123", "zip": "K2H7A8"}
    )
    times = [NOW - timedelta(days=days) for days in (1, 2, 3, 10, 29)]
    verdict = check_referral(
        candidate(referrer, friend, times), ReferralPolicy(5, timedelta(days=30), default_country_code="44")
    )
    assert not verdict.accepted
    assert verdict.reasons == [
        "referred friend's email looks like the referrer's (jane.doe2@x.com vs jane.doe1@x.com)",
        "same phone number as the referrer",
        "same delivery address as the referrer",
        "the referrer already referred 5 friends in the last 30 days (limit 5)",
    ]
    assert verdict.failed_checks == [
        ReferralCheck.EMAIL,
        ReferralCheck.PHONE,
        ReferralCheck.ADDRESS,
        ReferralCheck.REFERRAL_LIMIT,
    ]


def test_a_member_cannot_refer_themselves_even_with_every_check_off() -> None:
    verdict = check_referral(candidate(person(7), person(7)), ALL_OFF)
    assert verdict.reasons == ["a member cannot refer themselves"]
    assert not verdict.accepted


def test_disabled_checks_are_not_run() -> None:
    referrer = person(1, "jane@x.com", "020 7946 0000", ELM)
    friend = person(2, "jane@x.com", "020 7946 0000", ELM)
    assert check_referral(candidate(referrer, friend), ALL_OFF).accepted
    only_phone = ReferralPolicy(check_email=False, check_address=False, default_country_code="44")
    assert check_referral(candidate(referrer, friend), only_phone).failed_checks == [ReferralCheck.PHONE]


@pytest.mark.parametrize(
    ("ages", "maximum", "period", "reason"),
    [
        (
            [timedelta(days=d) for d in (0, 5, 29)],
            3,
            timedelta(days=30),
            "referred 3 friends in the last 30 days (limit 3)",
        ),
        (
            [timedelta(days=30)],
            1,
            timedelta(days=30),
            "referred 1 friend in the last 30 days (limit 1)",
        ),  # the edge counts
        (
            [timedelta(days=-1)],
            1,
            timedelta(days=30),
            "referred 1 friend in the last 30 days (limit 1)",
        ),  # clock skew counts
        ([timedelta(hours=2)], 1, timedelta(days=1), "referred 1 friend in the last day (limit 1)"),
        ([timedelta(minutes=5)], 1, timedelta(hours=12), "referred 1 friend in the last 12 hours (limit 1)"),
        (
            [],
            0,
            timedelta(days=7),
            "referred 0 friends in the last 7 days (limit 0)",
        ),  # referrals switched off
        ([timedelta(days=30, seconds=1), timedelta(days=2)], 2, timedelta(days=30), None),
        ([timedelta(days=d) for d in (1, 2)], 3, timedelta(days=30), None),
    ],
)
def test_the_referral_limit_counts_referrals_in_the_period_ending_now(
    ages: list[timedelta], maximum: int, period: timedelta, reason: str | None
) -> None:
    times = [NOW - age for age in ages]
    verdict = check_referral(candidate(person(1), person(2), times), ReferralPolicy(maximum, period))
    assert verdict.reasons == ([f"the referrer already {reason}"] if reason else [])


def test_the_new_member_window_refuses_friends_who_joined_long_before() -> None:
    old_friend = PersonFacts(2, None, None, [], NOW - timedelta(days=10))
    policy = ReferralPolicy(new_member_window=timedelta(days=7))
    verdict = check_referral(candidate(person(1), old_friend), policy)
    assert verdict.failed_checks == [ReferralCheck.NEW_MEMBER]
    assert verdict.reasons[0].startswith("the friend was already a member (joined 2026-02-20)")
    assert check_referral(candidate(person(1), old_friend), ReferralPolicy()).accepted
    assert check_referral(candidate(person(1), person(2)), policy).accepted


def test_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ReferralCandidate(person(1), person(2), datetime(2026, 3, 2), [])
    with pytest.raises(ValueError, match="timezone-aware"):
        ReferralCandidate(person(1), person(2), NOW, [datetime(2026, 3, 1)])


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"max_referrals": -1}, "max_referrals"),
        ({"per_period": timedelta(0)}, "per_period"),
        ({"new_member_window": timedelta(-1)}, "new_member_window"),
    ],
)
def test_a_malformed_policy_names_the_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        ReferralPolicy(**settings)
    assert caught.value.problems[0].field == field


@pytest.mark.parametrize(
    ("period", "words"),
    [
        (timedelta(days=30), "30 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(seconds=61), "61 seconds"),
        (timedelta(seconds=1), "1 second"),
    ],
)
def test_describe_period(period: timedelta, words: str) -> None:
    assert describe_period(period) == words


# A small world of people, so that collisions (same email, phone, address) are frequent.
people = st.builds(
    PersonFacts,
    customer_id=st.integers(1, 3),
    email=st.sampled_from([None, "jane.doe1@x.com", "jane.doe2@x.com", "Jane.Doe1+a@x.com", "sam@y.com"]),
    phone=st.sampled_from([None, "020 7946 0000", "+44 20 7946 0000", "+1 415 555 1234"]),
    addresses=st.lists(
        st.sampled_from([ELM, OAK, {"address1": "Elm Street 123", "zip": "k2h7a8"}]), max_size=2
    ),
    created_at=st.sampled_from([NOW - timedelta(days=400), NOW - timedelta(days=2), NOW]),
)
policies = st.builds(
    ReferralPolicy,
    max_referrals=st.integers(0, 4),
    per_period=st.sampled_from([timedelta(days=1), timedelta(days=30)]),
    check_email=st.booleans(),
    check_phone=st.booleans(),
    check_address=st.booleans(),
    default_country_code=st.sampled_from([None, "44"]),
    new_member_window=st.sampled_from([None, timedelta(days=7)]),
)
referral_times = st.lists(st.integers(-2, 40).map(lambda days: NOW - timedelta(days=days)), max_size=6)


@given(people, people, policies, referral_times)
def test_every_enabled_failing_check_is_reported_and_nothing_else(
    referrer: PersonFacts, friend: PersonFacts, policy: ReferralPolicy, times: list[datetime]
) -> None:
    verdict = check_referral(ReferralCandidate(referrer, friend, NOW, times), policy)
    cc = policy.default_country_code
    window = policy.new_member_window
    expected = {
        ReferralCheck.SELF_REFERRAL: referrer.customer_id == friend.customer_id,
        ReferralCheck.EMAIL: policy.check_email and emails_look_alike(referrer.email, friend.email),
        ReferralCheck.PHONE: policy.check_phone and same_phone(referrer.phone, friend.phone, cc),
        ReferralCheck.ADDRESS: policy.check_address
        and any(same_address(a, b) for a in referrer.addresses for b in friend.addresses),
        ReferralCheck.NEW_MEMBER: window is not None and NOW - friend.created_at > window,
        ReferralCheck.REFERRAL_LIMIT: sum(t >= NOW - policy.per_period for t in times)
        >= policy.max_referrals,
    }
    assert verdict.failed_checks == [check for check, failed in expected.items() if failed]
    assert len(verdict.reasons) == len(verdict.failed_checks)
    assert all(verdict.reasons)
    assert verdict.accepted == (not verdict.failed_checks)


@given(people, people, referral_times, st.integers(0, 6))
def test_with_every_check_off_and_under_the_limit_a_referral_is_accepted(
    referrer: PersonFacts, friend: PersonFacts, times: list[datetime], headroom: int
) -> None:
    friend = PersonFacts(99, friend.email, friend.phone, friend.addresses, friend.created_at)
    policy = ReferralPolicy(len(times) + 1 + headroom, timedelta(days=30), False, False, False, "44")
    verdict = check_referral(ReferralCandidate(referrer, friend, NOW, times), policy)
    assert verdict.accepted
    assert verdict.reasons == []
