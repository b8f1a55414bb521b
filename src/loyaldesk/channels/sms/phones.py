"""Phone numbers as the SMS channel keeps and compares them: valid numbers only, in E.164
(``+4915123456789``), read with Google's libphonenumber rules (the ``phonenumbers`` package). Pure: no I/O."""

from __future__ import annotations

import phonenumbers

# Customers' phones are typed by people: digits, spaces, + ( ) . / - (customers.schemas). Anything longer
# than this is not a phone number, whatever it contains.
MAX_LENGTH = 64


def region_or_none(region: str | None) -> str | None:
    """``region`` as an ISO 3166 country code libphonenumber knows (``"de"`` -> ``"DE"``), else None."""
    code = (region or "").strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def normalise_phone(raw: str | None, default_region: str | None = None) -> str | None:
    """``raw`` in E.164 when it is a valid number, else None. A number written without ``+`` (national
    form, ``0151 2345 6789``) is read as one of ``default_region`` (an ISO country code); without a
    region it cannot be placed and is None."""
    if not raw or len(raw) > MAX_LENGTH:
        return None
    text = raw.strip()
    region = region_or_none(default_region)
    if not text.startswith("+") and region is None:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """The country a valid E.164 number belongs to (``+4915...`` -> ``"DE"``), or None."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number)
