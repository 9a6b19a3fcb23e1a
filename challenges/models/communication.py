"""Questions and their answers, and announcements to a challenge's participants."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.dbtypes import enum_type
from challenges.extensions import db
from challenges.models.moderation import Moderation


class Question(db.Model):
    """A participant's question on a challenge, and the organisation's answer."""

    __table_args__ = (
        Index("ix_question_challenge", "challenge_id", "id"),
        Index("ix_question_asker", "challenge_id", "asker_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    answer_body: Mapped[str | None] = mapped_column(Text)
    answer_official: Mapped[bool] = mapped_column(default=False)
    answerer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None]
    moderation: Mapped[Moderation] = mapped_column(enum_type(Moderation), default=Moderation.VISIBLE,
                                                   server_default="visible")
    answer_moderation: Mapped[Moderation] = mapped_column(enum_type(Moderation, "answer_moderation"),
                                                          default=Moderation.VISIBLE,
                                                          server_default="visible")

    asker: Mapped["User"] = relationship(foreign_keys=[asker_id])  # noqa: F821
    answerer: Mapped["User | None"] = relationship(foreign_keys=[answerer_id])  # noqa: F821
    challenge: Mapped["Challenge"] = relationship()  # noqa: F821

    @property
    def answer(self) -> dict | None:
        """The answer, once given."""
        if self.answered_at is None:
            return None
        return {"body": self.answer_body, "official": self.answer_official, "answerer": self.answerer,
                "answered_at": self.answered_at, "moderation": self.answer_moderation}


class AnnouncementKind(StrEnum):
    """Why an announcement was posted."""

    MESSAGE = "message"
    DEADLINE_EXTENDED = "deadline_extended"
    CANCELLED = "cancelled"


class Announcement(db.Model):
    """An update to everyone following a challenge."""

    __table_args__ = (Index("ix_announcement_challenge", "challenge_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    kind: Mapped[AnnouncementKind] = mapped_column(enum_type(AnnouncementKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime]
