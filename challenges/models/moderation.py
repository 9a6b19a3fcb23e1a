"""Moderation: what content shows, flags raised on it, and the cases platform admins decide."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.dbtypes import enum_type
from challenges.extensions import db


class Moderation(StrEnum):
    """Who sees a piece of content: everyone who may, its author and admins (held), or admins (hidden)."""

    VISIBLE = "visible"
    HELD = "held"
    HIDDEN = "hidden"


class ObjectType(StrEnum):
    """The kinds of content that can be flagged and moderated."""

    CHALLENGE = "challenge"
    SUBMISSION = "submission"
    QUESTION = "question"
    ANSWER = "answer"  # a question's answer, named by the question's id
    ORGANISATION = "organisation"  # its name, description and website
    TEAM = "team"  # its name


class CaseStatus(StrEnum):
    """Whether a case waits in the queue."""

    OPEN = "open"
    CLOSED = "closed"


class Flag(db.Model):
    """A user's report of a piece of content; one per user and object."""

    __table_args__ = (UniqueConstraint("object_type", "object_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[ObjectType] = mapped_column(enum_type(ObjectType))
    object_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ModerationCase(db.Model):
    """A piece of content waiting for a platform admin: held by the spam filter, or flagged."""

    __table_args__ = (UniqueConstraint("object_type", "object_id"), Index("ix_moderation_case_queue", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[ObjectType] = mapped_column(enum_type(ObjectType))
    object_id: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    flags: Mapped[int] = mapped_column(default=0)
    announced: Mapped[bool] = mapped_column(default=False)  # its events went out before it was held
    excerpt: Mapped[str] = mapped_column(String(300))
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), default=CaseStatus.OPEN)
    opened_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
