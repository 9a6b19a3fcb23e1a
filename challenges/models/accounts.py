"""Users and their bearer tokens."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from challenges.dbtypes import enum_type
from challenges.extensions import db


class User(db.Model):
    """A registered person: participant, organisation member or platform admin."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str | None] = mapped_column(String(255))  # null once the account is erased
    display_name: Mapped[str] = mapped_column(String(100))
    is_admin: Mapped[bool] = mapped_column(default=False)
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    email_notifications: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime]
    locale: Mapped[str | None] = mapped_column(String(5))  # what is sent to them; null: the request's, or English
    time_zone: Mapped[str | None] = mapped_column(String(64))  # an IANA name, for the times in their emails
    pending_email: Mapped[str | None] = mapped_column(String(254))  # applied once a link sent to it is followed
    email_verified_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]  # the person asked for their account to be erased (see docs/privacy.md)

    @property
    def email_verified(self) -> bool:
        """Whether the owner of the address has followed a link sent to it."""
        return self.email_verified_at is not None

    memberships: Mapped[list["Membership"]] = relationship(  # noqa: F821
        back_populates="user", order_by="Membership.organisation_id"
    )


class SignInAddress(db.Model):
    """An address (as an HMAC) the user has signed in from: it is spared when their account is under attack."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    address_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[datetime]


class SignInCounter(db.Model):
    """Sign-in attempts counted in a fixed window, in the database so that every worker sees one count (Redis
    holds them instead when the rate limits live there)."""

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # an HMAC: no emails or addresses in clear
    attempts: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # expired counters are swept by this index


class Token(db.Model):
    """A bearer token, stored as the SHA-256 of its value."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class AccountTokenPurpose(StrEnum):
    """What a link sent by email does: reset the password, or verify an address."""

    RESET = "reset"
    VERIFY = "verify"


class AccountToken(db.Model):
    """A single-use link token sent by email, stored as the SHA-256 of its value."""

    __table_args__ = (Index("ix_account_token_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    purpose: Mapped[AccountTokenPurpose] = mapped_column(enum_type(AccountTokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))  # the address the link was sent to (and verifies)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # a newer link of the same purpose moves it to that moment
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
