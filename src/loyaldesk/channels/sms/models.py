"""The SMS channel's one table: each store's provider account (a Twilio-compatible HTTP API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, UTCDateTime

DEFAULT_BASE_URL = "https://api.twilio.com"


class SmsSettings(Base):
    """A store's SMS provider: where its API is, the account (SID and auth token: the token also signs the
    provider's webhooks, so it is kept as given and never shown back in full), who messages come from (an
    E.164 number or a messaging service SID), and the country of numbers written without ``+``. No row,
    or ``enabled`` false: the store sends no SMS (its webhooks still record receipts and STOP)."""

    __tablename__ = "sms_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500), default=DEFAULT_BASE_URL)
    account_sid: Mapped[str] = mapped_column(String(64), default="")
    auth_token: Mapped[str] = mapped_column(String(128), default="")
    sender: Mapped[str] = mapped_column(String(64), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    default_region: Mapped[str] = mapped_column(String(2), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
