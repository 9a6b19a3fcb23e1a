"""Awards: a prize given to a submission, and its payout."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.extensions import db
from challenges.dbtypes import enum_type


class AwardStatus(StrEnum):
    """Payout tracking: awarded, then paid or cancelled after finalisation."""

    AWARDED = "awarded"
    PAID = "paid"
    CANCELLED = "cancelled"


class Award(db.Model):
    """A prize awarded to a submission; one per prize and at most one per submission."""

    __table_args__ = (Index("ix_award_challenge", "challenge_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    prize_id: Mapped[int] = mapped_column(ForeignKey("prize.id"), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    status: Mapped[AwardStatus] = mapped_column(enum_type(AwardStatus), default=AwardStatus.AWARDED)
    awarded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    awarded_at: Mapped[datetime]
    payout_reference: Mapped[str | None] = mapped_column(String(200))
    paid_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    rank: Mapped[int | None]
    team_split: Mapped[list | None] = mapped_column(JSON)  # a team's shares when the award was made
    score: Mapped[float | None]

    prize: Mapped["Prize"] = relationship()  # noqa: F821
    submission: Mapped["Submission"] = relationship()  # noqa: F821
