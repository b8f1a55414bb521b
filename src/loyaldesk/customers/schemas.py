"""API models of the customers domain; ``CustomerProfile`` is also the input every ingestion path uses."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from loyaldesk.kernel.email_address import Email

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
AttributeKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Scalar = str | int | float | bool | None

_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,31}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_KEYS = 100
MAX_TEXT_VALUE = 1000


def _check_mapping(value: dict[str, Any], allow_lists: bool) -> dict[str, Any]:
    if len(value) > MAX_KEYS:
        raise ValueError(f"at most {MAX_KEYS} keys")
    for key, item in value.items():
        items = item if allow_lists and isinstance(item, list) else [item]
        if allow_lists and isinstance(item, list) and len(item) > 50:
            raise ValueError(f"{key}: at most 50 values")
        for element in items:
            if isinstance(element, str) and len(element) > MAX_TEXT_VALUE:
                raise ValueError(f"{key}: text values are at most {MAX_TEXT_VALUE} characters")
            if isinstance(element, float) and element != element:  # NaN
                raise ValueError(f"{key}: not a number")
    return value


class CustomerProfile(BaseModel):
    """The profile fields a store may send. On update, only the fields present are changed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email | None = Field(default=None, description="Lower-cased on the way in.")
    first_name: Name | None = None
    last_name: Name | None = None
    phone: str | None = Field(default=None, description="Digits, spaces, + ( ) . / -; 5 to 31 characters.")
    birthday: date | None = None
    locale: str | None = Field(default=None, description="A BCP 47 / CLDR locale such as en, de-DE, pt_BR.")
    timezone: str | None = Field(default=None, description="An IANA time zone such as Europe/Berlin.")
    marketing_consent: bool | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    attributes: dict[AttributeKey, Scalar] | None = Field(
        default=None, description="What the store's systems know: up to 100 keys of scalar values."
    )
    preferences: dict[AttributeKey, Scalar | list[Scalar]] | None = Field(
        default=None, description="What the customer told us (zero-party data): up to 100 keys."
    )

    @field_validator("first_name", "last_name")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 5:
            raise ValueError("is not a phone number (digits, spaces and + ( ) . / - only)")
        return value

    @field_validator("birthday")
    @classmethod
    def _birthday(cls, value: date | None) -> date | None:
        if value is not None and not (date(1900, 1, 1) <= value <= date.today()):
            raise ValueError("must be between 1900-01-01 and today")
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            Locale.parse(value.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            raise ValueError(f"{value!r} is not a known locale") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value not in _timezones():
            raise ValueError(f"{value!r} is not an IANA time zone")
        return value

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return list(dict.fromkeys(value))

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _check_mapping(value, allow_lists=False)

    @field_validator("preferences")
    @classmethod
    def _preferences(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _check_mapping(value, allow_lists=True)


_TIMEZONES: frozenset[str] | None = None


def _timezones() -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    return _TIMEZONES


class CustomerCreate(CustomerProfile):
    """A new customer. ``external_id`` is the store's own id; it must be unique in the store."""

    external_id: ExternalId | None = None


class CustomerOut(BaseModel):
    id: int
    external_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    birthday: date | None
    locale: str | None
    timezone: str | None
    marketing_consent: bool
    marketing_consent_at: datetime | None
    tags: list[str]
    attributes: dict[str, Any]
    preferences: dict[str, Any]
    source: str
    created_at: datetime
    updated_at: datetime
    erased: bool

    @classmethod
    def of(cls, customer: Any) -> CustomerOut:
        return cls(
            id=customer.id,
            external_id=customer.external_id,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            phone=customer.phone,
            birthday=customer.birthday,
            locale=customer.locale,
            timezone=customer.timezone,
            marketing_consent=customer.marketing_consent,
            marketing_consent_at=customer.marketing_consent_at,
            tags=customer.tags or [],
            attributes=customer.attributes or {},
            preferences=customer.preferences or {},
            source=customer.source,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            erased=customer.erased_at is not None,
        )


class CustomerWriteResult(BaseModel):
    created: bool
    customer: CustomerOut


class TimelineItemOut(BaseModel):
    event_id: int
    type: str
    occurred_at: datetime
    title: str
    detail: str | None = None
    link: str | None = None
