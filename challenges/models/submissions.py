"""Participations, submissions and their revisions."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.extensions import db
from challenges.dbtypes import enum_type
from challenges.models.moderation import Moderation
from challenges.models.scoring import EvaluationFault, EvaluationStatus


# The leaderboard order of a submission no judge has reviewed: after every score (a mean of weighted scores lies in
# [0, 1]; a mean of z-scores within the square root of the judge's review count).
UNREVIEWED = 1e18


class SubmissionStatus(StrEnum):
    """Where a submission stands."""

    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    DISQUALIFIED = "disqualified"


class RegistrationStatus(StrEnum):
    """Where a registration stands: approval challenges keep new ones pending until the organisation decides."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Participation(db.Model):
    """A participant's registration: acceptance of a challenge's terms, answers to its form, and the organisation's
    decision; its row is locked while submitting. Triggers (migration 0021) keep the challenge's registration counts."""

    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id"),
        Index("ix_participation_status", "challenge_id", "status", "user_id"),  # the registrations list by status
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    terms_version: Mapped[int]
    accepted_at: Mapped[datetime]
    # Rows made by submitting (open challenges) take the defaults: approved, no answers.
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_type(RegistrationStatus), default=RegistrationStatus.APPROVED, server_default="approved")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    decided_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped["User"] = relationship()  # noqa: F821


class Submission(db.Model):
    """A participant's answer to a challenge; its content is the latest revision."""

    __table_args__ = (
        Index("ix_submission_challenge", "challenge_id", "id"),
        Index("ix_submission_participant", "participant_id", "challenge_id", "id"),
        # The judged leaderboard, walked in order: only the submissions it ranks are in it.
        Index("ix_submission_judged_order", "challenge_id", "review_order", "submitted_at", "id",
              postgresql_where=text("status = 'submitted' AND moderation = 'visible'"),
              sqlite_where=text("status = 'submitted' AND moderation = 'visible'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[SubmissionStatus] = mapped_column(
        enum_type(SubmissionStatus), default=SubmissionStatus.SUBMITTED
    )
    disqualification_reason: Mapped[str | None] = mapped_column(Text)
    shortlisted: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(default=1)
    # Scored challenges only: the evaluation of the predictions, and the participant's final selection.
    evaluation_status: Mapped[EvaluationStatus | None] = mapped_column(enum_type(EvaluationStatus))
    public_score: Mapped[float | None] = mapped_column(Float)
    private_score: Mapped[float | None] = mapped_column(Float)
    evaluation_error: Mapped[str | None] = mapped_column(Text)
    evaluation_fault: Mapped[EvaluationFault | None] = mapped_column(enum_type(EvaluationFault))  # set when failed
    scored_at: Mapped[datetime | None]
    selected: Mapped[bool] = mapped_column(default=False)
    # Judged challenges only: the judges' verdict, kept by services/standings.py whenever a review changes.
    review_count: Mapped[int] = mapped_column(default=0, server_default="0")
    review_score: Mapped[float | None] = mapped_column(Float)
    review_spread: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    review_order: Mapped[float] = mapped_column(Float, default=UNREVIEWED, server_default=str(UNREVIEWED))
    moderation: Mapped[Moderation] = mapped_column(enum_type(Moderation), default=Moderation.VISIBLE,
                                                   server_default="visible")

    participant: Mapped["User"] = relationship()  # noqa: F821
    team: Mapped["Team | None"] = relationship()  # noqa: F821
    challenge: Mapped["Challenge"] = relationship()  # noqa: F821

    @property
    def evaluation(self) -> dict | None:
        """The scoring of a scored challenge's submission; the private score only once results are final."""
        if self.evaluation_status is None:
            return None
        final = self.challenge.status == "finalised"
        return {"status": self.evaluation_status, "public_score": self.public_score,
                "private_score": self.private_score if final else None, "error": self.evaluation_error,
                "fault": self.evaluation_fault}


class Revision(db.Model):
    """One kept version of a submission's content, with its time and SHA-256."""

    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    links: Mapped[list] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
