"""Rubric judging: criteria, judges' assignments, reviews and declared conflicts of interest."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.extensions import db

MAX_CRITERIA = 50  # a review scores every criterion, and its body holds at most this many scores


class Criterion(db.Model):
    """One weighted criterion of a challenge's rubric, scored from 0 to max_score."""

    __table_args__ = (
        Index("ix_criterion_challenge", "challenge_id", "position"),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("max_score > 0", name="max_score_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)


class Assignment(db.Model):
    """A judge asked to review a submission."""

    __table_args__ = (Index("ix_assignment_judge", "challenge_id", "judge_id", "submission_id"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))


class Review(db.Model):
    """One judge's scores of one submission, with the weighted score they add up to."""

    __table_args__ = (
        UniqueConstraint("submission_id", "judge_id"),
        Index("ix_review_challenge", "challenge_id", "id"),
        Index("ix_review_judge", "judge_id", "challenge_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scores: Mapped[dict] = mapped_column(JSON)  # {"<criterion id>": score}
    comment: Mapped[str] = mapped_column(Text, default="")
    weighted_score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    judge: Mapped["User"] = relationship()  # noqa: F821


class ConflictOfInterest(db.Model):
    """A judge's declared conflict with a submission: the judge is excluded from it."""

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime]
