"""The fast email path agrees with email-validator on every address it accepts."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from loyaldesk.kernel.email_address import _COMMON, normalise_email

LOCAL = st.text(alphabet="abcXYZ019.!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=70)
LABEL = st.text(alphabet="abcxyz019-", min_size=1, max_size=70)
ADDRESSES = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    LOCAL,
    st.lists(LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "de", "example", "test", "c0m", "io"]),
)


@given(ADDRESSES)
@example("0@00--0.com")  # a reserved IDNA-style label, found by hypothesis in CI
def test_fast_path_accepts_only_what_email_validator_accepts(address: str) -> None:
    try:
        reference = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        reference = None
    if _COMMON.match(address.lower()) and reference is None:
        with pytest.raises(ValueError):
            normalise_email(address)
    elif reference is not None:
        assert normalise_email(address) == reference


@pytest.mark.parametrize(
    ("given_address", "expected"),
    [
        ("Emma.Stone@Example.COM", "emma.stone@example.com"),
        ("  padded@example.org ", "padded@example.org"),
        ("üser@exämple.de", "üser@exämple.de"),
    ],
)
def test_normalised(given_address: str, expected: str) -> None:
    assert normalise_email(given_address) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "no-at",
        "a@b",
        "a..b@example.com",
        ".a@example.com",
        "a@-b.com",
        "a@b.test",
        "a@localhost",
        "a@" + "b" * 64 + ".com",
    ],
)
def test_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not an email address"):
        normalise_email(bad)
