"""Scored challenges: the hidden answer key, the predictions aligned to it, and the boards' standings."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from challenges.dbtypes import enum_type
from challenges.extensions import db


class EvaluationStatus(StrEnum):
    """Where the scoring of a submission stands."""

    PENDING = "pending"
    SCORED = "scored"
    FAILED = "failed"


class EvaluationFault(StrEnum):
    """Whose fault a failed evaluation was: ours leaves the participant's slot free, theirs does not."""

    PARTICIPANT = "participant"  # the predictions defeated the metric
    OURS = "ours"  # the service could not read the key or the predictions back


class AnswerKey(db.Model):
    """A challenge's hidden answer key, split into a public and a private part; never returned."""

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(20))  # the metric the key was checked for
    rows: Mapped[int]
    public_rows: Mapped[int]
    public_fraction: Mapped[float] = mapped_column(Float)  # the fraction the stored split was made with
    sha256: Mapped[str] = mapped_column(String(64))
    # The values a regression prediction may take, derived from the key's range; null when the metric fixes them.
    prediction_min: Mapped[float | None] = mapped_column(Float)
    prediction_max: Mapped[float | None] = mapped_column(Float)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))  # ids, values and public mask, compressed
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime]

    @property
    def private_rows(self) -> int:
        """Rows kept for the private leaderboard."""
        return self.rows - self.public_rows


class Prediction(db.Model):
    """A scored submission's predictions, aligned to the answer key's order."""

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))


class Board(StrEnum):
    """The two leaderboards of a scored challenge."""

    PUBLIC = "public"
    PRIVATE = "private"


class BoardEntry(db.Model):
    """An entrant's standing on one board: the submission that counts for them, or nulls while none does.

    Derived from the submissions (services.boards keeps it in step, in the same transaction). It has no
    foreign keys on purpose: the row is written while other transactions may hold the challenge or a
    submission FOR UPDATE and wait for this row, and a foreign-key check would then deadlock with them."""

    __table_args__ = (
        Index("ix_board_entry_rank", "challenge_id", "board", "rank_key", "submitted_at", "submission_id"),
        Index("ix_board_entry_submission", "submission_id"),
    )

    challenge_id: Mapped[int] = mapped_column(primary_key=True)
    entrant: Mapped[str] = mapped_column(String(24), primary_key=True)  # "user:<id>" or "team:<id>"
    board: Mapped[Board] = mapped_column(enum_type(Board), primary_key=True)
    team_id: Mapped[int | None]
    participant_id: Mapped[int | None]  # the author of the counted submission
    submission_id: Mapped[int | None]
    score: Mapped[float | None] = mapped_column(Float)
    rank_key: Mapped[float | None] = mapped_column(Float)  # the score, negated when higher is better: best first
    submitted_at: Mapped[datetime | None]
