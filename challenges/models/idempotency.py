"""Remembered answers to POSTs retried with the same Idempotency-Key."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from challenges.extensions import db


class IdempotencyRecord(db.Model):
    """One user's key: the request it was first used with and, once done, the answer."""

    __table_args__ = (UniqueConstraint("user_id", "key"), Index("ix_idempotency_record_created", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]  # None while the first request is still running
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
