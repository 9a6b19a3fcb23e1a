"""Organisations, the roles of their members, and invitations to join them."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
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


class OrganisationInvitationStatus(StrEnum):
    """Where an invitation to an organisation stands; an expired one stays pending past its `expires_at`."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"  # it had expired, and the address was invited again


class OrganisationInvitation(db.Model):
    """An owner's invitation of an email address to a role, answered with a single-use link token (kept as its
    SHA-256); one pending per organisation and address."""

    __table_args__ = (
        Index("ix_organisation_invitation_organisation", "organisation_id", "id"),
        Index("ix_organisation_invitation_email", "email", "id"),
        Index("uq_organisation_invitation_pending", "organisation_id", "email", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased; an account may not have it yet
    role: Mapped[Role] = mapped_column(enum_type(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[OrganisationInvitationStatus] = mapped_column(enum_type(OrganisationInvitationStatus))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]  # accepted, declined or revoked then

    organisation: Mapped[Organisation] = relationship()
