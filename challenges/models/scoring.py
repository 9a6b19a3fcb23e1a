"""Scored challenges: the hidden answer key and the predictions aligned to it."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from challenges.extensions import db


class EvaluationStatus(StrEnum):
    """Where the scoring of a submission stands."""

    PENDING = "pending"
    SCORED = "scored"
    FAILED = "failed"


class AnswerKey(db.Model):
    """A challenge's hidden answer key, split into a public and a private part; never returned."""

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(20))  # the metric the key was checked for
    rows: Mapped[int]
    public_rows: Mapped[int]
    public_fraction: Mapped[float] = mapped_column(Float)  # the fraction the stored split was made with
    sha256: Mapped[str] = mapped_column(String(64))
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
