"""Files attached to submissions and challenges, stored by SHA-256."""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from challenges.extensions import db


class Attachment(db.Model):
    """A file on a challenge (data, briefs) or on a submission; the bytes live in the file store."""

    __table_args__ = (
        Index("ix_attachment_challenge", "challenge_id", "id"),
        Index("ix_attachment_submission", "submission_id", "id"),
        Index("ix_attachment_uploader", "uploader_id", "size"),  # the storage quota's sum, from the index alone
        Index("ix_attachment_sha256", "sha256"),  # whether a stored file is still named, for the sweep
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    uploader_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(200))  # for display and downloads; never a storage path
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
