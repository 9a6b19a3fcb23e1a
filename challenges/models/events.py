"""The outbox: events written with the change that caused them, and their webhook deliveries."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.dbtypes import enum_type
from challenges.extensions import db

EVENT_TYPES = (
    "challenge.published", "challenge.deadline_changed", "challenge.cancelled", "challenge.finalised",
    "submission.received", "submission.withdrawn", "submission.disqualified",
    "award.created", "award.revoked", "award.paid",
    "question.asked", "question.answered", "announcement.posted",
)


class Event(db.Model):
    """A state change of interest; never updated or deleted."""

    __table_args__ = (Index("ix_event_organisation", "organisation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON)


class Webhook(db.Model):
    """An organisation's endpoint, the events it wants, and its signing secret (encrypted)."""

    __table_args__ = (
        Index("ix_webhook_organisation", "organisation_id", "id"),
        UniqueConstraint("organisation_id", "url_sha256"),  # one webhook per URL and organisation
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    # SHA-256 of the URL in canonical form: a URL may be too long to index. Null only for a duplicate that
    # was registered before duplicates were refused.
    url_sha256: Mapped[str | None] = mapped_column(String(64))
    events: Mapped[list] = mapped_column(JSON)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(db.Model):
    """One event sent to one webhook, with its attempts."""

    __table_args__ = (
        Index("ix_delivery_webhook", "webhook_id", "id"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    webhook: Mapped[Webhook] = relationship()
    event: Mapped[Event] = relationship()


class DestinationWindow(db.Model):
    """How many delivery attempts one destination address has had in one window of time."""

    address: Mapped[str] = mapped_column(String(45), primary_key=True)  # the IP address a delivery connects to
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    attempts: Mapped[int]
