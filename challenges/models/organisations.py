"""Organisations and the roles of their members."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.extensions import db
from challenges.dbtypes import enum_type
from challenges.models.moderation import Moderation


class Role(StrEnum):
    """A member's role; owners manage members, managers run challenges, judges score."""

    OWNER = "owner"
    MANAGER = "manager"
    JUDGE = "judge"


class Organisation(db.Model):
    """An organisation that posts challenges; while held or hidden, only its members see its name and words."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    moderation: Mapped[Moderation] = mapped_column(enum_type(Moderation), default=Moderation.VISIBLE,
                                                   server_default="visible")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Membership(db.Model):
    """A user's role in an organisation."""

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    created_at: Mapped[datetime]

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821
