"""The SMS channel's pure parts: phone numbers read into E.164, Twilio's request signature (checked
against the vectors of Twilio's own library), and the STOP / START words."""

from __future__ import annotations

import pytest

from loyaldesk.channels.sms.inbound import keyword_of
from loyaldesk.channels.sms.phones import normalise_phone, region_or_none
from loyaldesk.channels.sms.signature import signature_matches, twilio_signature


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0151 23456789", "DE", "+4915123456789"),  # national form, read in the store's country
        ("015123456789", "de", "+4915123456789"),  # a region in any case
        ("+49 151 23456789", None, "+4915123456789"),  # international form needs no region
        ("+49 (0)151 2345-6789", "US", "+4915123456789"),  # the + wins over the region
        ("0049 151 23456789", "DE", "+4915123456789"),  # the international prefix from Germany
        ("(415) 867-5309", "US", "+14158675309"),
        ("415.867.5309", "US", "+14158675309"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+4915123456789", "DE", "+4915123456789"),  # already E.164
        ("0151 23456789", None, None),  # national form without a region: cannot be placed
        ("0151 23456789", "XX", None),  # an unknown region is no region
        ("(415) 867-5309", "GB", None),  # not a British number
        ("+49 151", None, None),  # too short
        ("+1 555 0100", None, None),
        ("12", "DE", None),
        ("garbage", "DE", None),
        ("", "DE", None),
        (None, "DE", None),
        ("+" + "1" * 80, None, None),  # far too long to be a number
    ],
)
def test_phone_numbers_are_normalised_to_e164(
    raw: str | None, region: str | None, expected: str | None
) -> None:
    assert normalise_phone(raw, region) == expected


def test_regions_are_known_iso_codes() -> None:
    assert region_or_none(" de ") == "DE"
    assert region_or_none("Germany") is None
    assert region_or_none("") is None


URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}


def test_signature_matches_twilios_published_vectors() -> None:
    assert twilio_signature("12345", URL, PARAMS.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert twilio_signature("12345", URL, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_a_signature_is_checked_with_and_without_the_default_port() -> None:
    assert signature_matches("12345", URL, PARAMS.items(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    # Twilio may have signed the URL with its default port spelled out, or we may be configured with it.
    assert signature_matches("12345", URL, PARAMS.items(), "kvajT1Ptam85bY51eRf/AJRuM3w=")
    assert signature_matches(
        "12345", URL.replace(".com", ".com:443"), PARAMS.items(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


@pytest.mark.parametrize(
    "change",
    [
        {"token": "54321"},
        {"url": URL.replace("foo=1", "foo=2")},
        {"url": URL.replace("https", "http")},
        {"params": {**PARAMS, "Digits": "9999"}},
        {"params": {**PARAMS, "Extra": "x"}},
        {"given": ""},
        {"given": None},
        {"token": ""},
    ],
)
def test_any_change_breaks_the_signature(change: dict[str, object]) -> None:
    token = str(change.get("token", "12345"))
    url = str(change.get("url", URL))
    params = change.get("params", PARAMS)
    given = change.get("given", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signature_matches(token, url, params.items(), given)  # type: ignore[attr-defined,arg-type]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", False),
        (" stop\n", False),
        ("Stop", False),
        ("STOPALL", False),
        ("unsubscribe", False),
        ("CANCEL", False),
        ("end", False),
        ("Quit ", False),
        ("START", True),
        ("unstop", True),
        ("please stop", None),  # the word must be the whole message
        ("STOP!", None),
        ("Hello", None),
        ("", None),
        (None, None),
    ],
)
def test_stop_and_start_words(body: str | None, expected: bool | None) -> None:
    assert keyword_of(body) is expected
