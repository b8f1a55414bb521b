"""The widget's notices: proactive messages a shopper sees as a banner in the store's chat widget."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, UTCDateTime


class WidgetNotice(Base):
    """One message for one shopper's widget, shown live when they are on the site, else on their next
    page within ``expires_at``. ``send_id`` is the journey send it came from (opens and clicks go there)."""

    __tablename__ = "widget_notices"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(IdType)
    send_id: Mapped[int | None] = mapped_column(IdType)
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_widget_notices_contact", "contact_id", "dismissed_at", "expires_at"),)
