"""Challenges, their prizes and tags; the phase is derived from the status and the clock."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text, true
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges import clock
from challenges.extensions import db
from challenges.dbtypes import enum_type
from challenges.models.moderation import Moderation


class Status(StrEnum):
    """The stored status of a challenge."""

    DRAFT = "draft"
    PUBLISHED = "published"
    FINALISED = "finalised"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    """The phase users see, derived from the status and the clock."""

    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    FINALISED = "finalised"
    CANCELLED = "cancelled"


class Evaluation(StrEnum):
    """How winners are chosen: by judges, or by a metric against a hidden key."""

    JUDGED = "judged"
    SCORED = "scored"


class RegistrationMode(StrEnum):
    """How people register: freely (submitting registers too), subject to approval, or not any more."""

    OPEN = "open"
    APPROVAL = "approval"
    CLOSED = "closed"


AHEAD = "status = 'published' AND deadline_ahead"  # the rows of the ix_challenge_ahead_* indexes
UNOPENED = "status = 'published' AND opening_ahead"  # the rows of the ix_challenge_unopened_* indexes
LIVE_ORDERS = {"created": ("created_at", "id"), "prize_total": ("prize_total", "id"), "closes": ("closes_at", "id")}
DEFAULT_JUDGING = {"blind": False, "normalise": False, "allow_unassigned": True, "disagreement_threshold": 0.25}


class Challenge(db.Model):
    """An open call for solutions to a precise problem."""

    __table_args__ = (
        Index("ix_challenge_created", "created_at", "id"),
        Index("ix_challenge_closes", "closes_at", "id"),
        Index("ix_challenge_opens", "opens_at", "id"),  # the upcoming ones, and the next opening
        Index("ix_challenge_prize_total", "prize_total", "id"),
        Index("ix_challenge_organisation", "organisation_id", "created_at", "id"),
        Index("ix_challenge_organisation_closes", "organisation_id", "closes_at", "id"),
        Index("ix_challenge_organisation_prize_total", "organisation_id", "prize_total", "id"),
        # The published challenges whose deadline (ahead) or opening (unopened) the relay has not yet seen pass:
        # the open and upcoming lists walk these rather than every challenge ever published.
        *(Index(f"ix_challenge_{rows}_{name}", *columns, postgresql_where=text(condition),
                sqlite_where=text(condition))
          for rows, condition in (("ahead", AHEAD), ("unopened", UNOPENED)) for name, columns in LIVE_ORDERS.items()),
        Index("ix_challenge_search", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        Index("ix_challenge_words", "search_words", postgresql_using="gin").ddl_if(dialect="postgresql"),
        CheckConstraint("closes_at > opens_at", name="opens_before_close"),
        CheckConstraint("submission_count >= 0", name="submission_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    ip_terms: Mapped[str] = mapped_column(Text, default="")
    terms_version: Mapped[int] = mapped_column(default=1)
    status: Mapped[Status] = mapped_column(enum_type(Status), default=Status.DRAFT)
    evaluation: Mapped[Evaluation] = mapped_column(enum_type(Evaluation), default=Evaluation.JUDGED)
    judging: Mapped[dict | None] = mapped_column(JSON)
    scoring: Mapped[dict | None] = mapped_column(JSON)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    finalised_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    max_submissions_per_participant: Mapped[int | None]  # None: no limit; per team when in one
    max_team_size: Mapped[int] = mapped_column(default=1, server_default="1")  # 1: no teams
    team_merge_deadline: Mapped[datetime | None]
    reminded_for: Mapped[datetime | None]  # the deadline participants were last reminded of
    # True until the relay sees the deadline pass (services/reminders.py): a hint that keeps the open list on a
    # small index. Never the phase, which the clock decides: a late relay only makes the lists slower.
    deadline_ahead: Mapped[bool] = mapped_column(default=True, server_default=true())
    opening_ahead: Mapped[bool] = mapped_column(default=True, server_default=true())  # the same for the upcoming
    moderation: Mapped[Moderation] = mapped_column(enum_type(Moderation), default=Moderation.VISIBLE,
                                                   server_default="visible")
    publish_winning_submissions: Mapped[bool] = mapped_column(default=True)
    registration: Mapped[RegistrationMode] = mapped_column(enum_type(RegistrationMode), default=RegistrationMode.OPEN,
                                                           server_default="open")
    registration_closes_at: Mapped[datetime | None]
    registration_form: Mapped[list] = mapped_column(JSON, default=list)  # [{id, label, type, required, choices?}]
    # Kept by the database itself (triggers on participation, migration 0021), so that no code path, the submit
    # path's upsert included, has to remember them.
    registration_count: Mapped[int] = mapped_column(default=0, server_default="0")  # approved
    pending_registration_count: Mapped[int] = mapped_column(default=0, server_default="0")
    submission_count: Mapped[int] = mapped_column(default=0)
    # Derived, kept for indexed sorting and searching.
    prize_total: Mapped[int] = mapped_column(BigInteger, default=0)
    # Deferred: it holds the description again, and only lists filter by it (no reader needs it loaded).
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    # PostgreSQL: search_text's words by stem in English and French, written by the database itself (trigger
    # challenge_search_words, migration 0019) whenever search_text is; stored, so that no list reads them by
    # stemming every row it walks. Null on SQLite, which searches search_text alone.
    search_words: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"), deferred=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    prizes: Mapped[list["Prize"]] = relationship(
        order_by="Prize.rank", cascade="all, delete-orphan", back_populates="challenge"
    )
    tag_rows: Mapped[list["ChallengeTag"]] = relationship(
        order_by="ChallengeTag.position", cascade="all, delete-orphan"
    )

    @property
    def tags(self) -> list[str]:
        """The challenge's tags, in the order given."""
        return [row.tag for row in self.tag_rows]

    @property
    def phase(self) -> Phase:
        """The phase now, by the application clock."""
        return self.phase_at(clock.now())

    def phase_at(self, at: datetime) -> Phase:
        """The phase at the given moment."""
        if self.status is not Status.PUBLISHED:
            return Phase(self.status.value)
        if at < self.opens_at:
            return Phase.UPCOMING
        return Phase.OPEN if at < self.closes_at else Phase.CLOSED

    @property
    def was_public(self) -> bool:
        """Whether the challenge was ever published (a cancelled draft never was)."""
        return self.published_at is not None

    def registering_at(self, at: datetime) -> bool:
        """Whether new registrations are taken at `at`: published, not yet closed, before any registration deadline."""
        if self.registration is RegistrationMode.CLOSED or self.phase_at(at) not in (Phase.UPCOMING, Phase.OPEN):
            return False
        return self.registration_closes_at is None or at < self.registration_closes_at

    def limit_reached(self, active_submissions: int) -> bool:
        """Whether a participant with this many active submissions may submit no more."""
        limit = self.max_submissions_per_participant
        return limit is not None and active_submissions >= limit


class ChallengeTag(db.Model):
    """One tag of a challenge, indexed for the tag filter."""

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int]

    __table_args__ = (Index("ix_challenge_tag_tag", "tag", "challenge_id"),)


class Prize(db.Model):
    """A prize: a monetary amount in minor units, or a reward described in words."""

    __table_args__ = (
        UniqueConstraint("challenge_id", "rank"),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
        CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    rank: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")

    challenge: Mapped[Challenge] = relationship(back_populates="prizes")

    @property
    def reward(self) -> dict | None:
        """The money, or None for a non-monetary prize."""
        return None if self.amount is None else {"amount": self.amount, "currency": self.currency}
