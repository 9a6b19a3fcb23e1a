"""Teams: participants who submit as one, their invitations, and how they split a prize."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, case, cast, literal, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.dbtypes import enum_type
from challenges.extensions import db
from challenges.models.moderation import Moderation

UNSEEN = (Moderation.HELD, Moderation.HIDDEN)


class Team(db.Model):
    """A team of one challenge; its row is locked while it changes or submits."""

    __table_args__ = (UniqueConstraint("challenge_id", "name"), Index("ix_team_challenge", "challenge_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    chosen_name: Mapped[str] = mapped_column("name", String(100))  # as its captain wrote it; see `name`
    moderation: Mapped[Moderation] = mapped_column(enum_type(Moderation), default=Moderation.VISIBLE,
                                                   server_default="visible")
    captain_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    weights: Mapped[dict | None] = mapped_column(JSON)  # {"<user_id>": weight}; None: equal shares
    merge_target_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    members: Mapped[list["TeamMember"]] = relationship(
        order_by=lambda: [TeamMember.joined_at, TeamMember.user_id], cascade="all, delete-orphan",
        back_populates="team")

    # Every reader of a team's name (submissions, leaderboards, exports, notifications, emails, the audit log) reads
    # `name`, so none of them can show a name held or hidden as spam; the team's own members and platform admins
    # read `chosen_name` on the team itself.
    @hybrid_property
    def name(self) -> str:
        """The name everyone is shown: the chosen one, or "Team <id>" while it is held or hidden."""
        return f"Team {self.id}" if self.moderation in UNSEEN else self.chosen_name

    @name.inplace.setter
    def _name_setter(self, value: str) -> None:
        self.chosen_name = value

    @name.inplace.expression
    @classmethod
    def _name_expression(cls):
        return case((cls.moderation.in_(UNSEEN), literal("Team ") + cast(cls.id, String)), else_=cls.chosen_name)

    @property
    def split(self) -> list[dict]:
        """Each member's weight and share of a prize (equal unless the captain set weights)."""
        weights = {m.user_id: (self.weights or {}).get(str(m.user_id), 1) for m in self.members}
        total = sum(weights.values())
        return [{"user_id": user_id, "weight": weight, "share": round(weight / total, 6)}
                for user_id, weight in weights.items()]


class TeamMember(db.Model):
    """A participant in a team; at most one team per participant and challenge."""

    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime]

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped["User"] = relationship()  # noqa: F821

    @property
    def display_name(self) -> str:
        """The member's name."""
        return self.user.display_name


class InvitationStatus(StrEnum):
    """Where an invitation stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Invitation(db.Model):
    """A captain's invitation to join a team; one pending per team and user."""

    __table_args__ = (
        Index("ix_invitation_user", "user_id", "id"),
        Index("uq_invitation_pending", "team_id", "user_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    invited_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[InvitationStatus] = mapped_column(enum_type(InvitationStatus), default=InvitationStatus.PENDING)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship()
