"""In-app notifications and the emails that go with them."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from challenges.dbtypes import enum_type
from challenges.extensions import db


class EmailStatus(StrEnum):
    """Where a notification's email stands; null when none is to be sent."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(db.Model):
    """Something a user should know, named like the event that caused it."""

    __table_args__ = (
        Index("ix_notification_user", "user_id", "id"),
        Index("ix_notification_email_due", "email_status", "email_next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    email_status: Mapped[EmailStatus | None] = mapped_column(enum_type(EmailStatus))
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_next_attempt_at: Mapped[datetime | None]
