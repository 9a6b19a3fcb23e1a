"""Registration, sign-in tokens and the signed-in user."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from challenges import clock
from challenges.errors import Conflict, Unauthorized
from challenges.extensions import db
from challenges.models import Token, User
from challenges.services import audit, organisations, sign_in_throttle
from challenges.services.passwords import hash_password, verify_password


DEMO_EMAIL_DOMAIN = "demo.example"  # reserved (RFC 2606): no real person has an address there


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Built once: every signed-in request looks its token up.
TOKEN_BY_HASH = select(Token).options(joinedload(Token.user)).where(Token.token_hash == bindparam("token_hash"))


def _token(raw: str) -> Token | None:
    return db.session.scalar(TOKEN_BY_HASH, {"token_hash": _digest(raw)})


def find_by_email(email: str) -> User | None:
    """The user with this email, compared without regard to case."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def register(*, email: str, password: str, display_name: str, is_admin: bool = False) -> User:
    """Create an account; 409 when the email is taken, 422 for a display name that reads like spam."""
    from challenges.services import moderation  # which revokes accounts' tokens

    email, display_name = email.strip().lower(), display_name.strip()
    if not is_admin:  # the operator names platform admins from the command line
        moderation.require_plain_name("display_name", display_name)
    if find_by_email(email):
        raise Conflict(_("An account with this email already exists."))
    now = clock.now()
    user = User(email=email, password_hash=hash_password(password), display_name=display_name,
                is_admin=is_admin, created_at=now)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("An account with this email already exists.")) from None
    if is_admin:
        audit.record(None, "user.admin_created", user, None)
    db.session.commit()
    return user


def issue_token(*, email: str, password: str, address: str | None = None) -> tuple[str, Token]:
    """Sign in: a new token for a correct email and password; one answer for every failure, and a
    slowdown after repeated failures for the account."""
    email = email.strip().lower()
    sign_in_throttle.attempt(email, address)
    user = find_by_email(email)
    if not verify_password(user.password_hash if user else None, password) or user.suspended_at or _barred(user):
        raise Unauthorized(_("The email or the password is wrong."))
    sign_in_throttle.succeeded(user, address)
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    token = Token(user_id=user.id, token_hash=_digest(raw), created_at=now,
                  expires_at=now + timedelta(seconds=current_app.config["TOKEN_TTL"]))
    db.session.add(token)
    db.session.commit()
    return raw, token


def user_for_token(raw: str) -> User:
    """The holder of a live token; 401 for unknown, expired or revoked tokens."""
    token = _token(raw)
    now = clock.now()
    if token is None or token.revoked_at or token.expires_at <= now or token.user.suspended_at or _barred(token.user):
        raise Unauthorized(_("The token is invalid, expired or revoked."))
    return token.user


def _barred(user: User) -> bool:
    """Demo accounts never act where demo data is not allowed (an instance seeded before going live)."""
    return not current_app.config["DEMO_DATA_ALLOWED"] and user.email.endswith("@" + DEMO_EMAIL_DOMAIN)


def revoke_token(actor: User, raw: str) -> None:
    """Revoke the caller's token at once."""
    token = _token(raw)
    token.revoked_at = clock.now()
    db.session.commit()


def revoke_all_tokens(user: User) -> None:
    """Revoke every live token of the user (not committed): a suspension, or its end, needs a fresh sign-in."""
    db.session.execute(update(Token).where(Token.user_id == user.id, Token.revoked_at.is_(None))
                       .values(revoked_at=clock.now()).execution_options(synchronize_session=False))


def admin_count() -> int:
    """How many platform admins exist."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_admin))


def make_admin(email: str, password: str, display_name: str) -> User:
    """Create a platform admin, or promote an existing account (password unchanged)."""
    user = find_by_email(email)
    if user is None:
        return register(email=email, password=password, display_name=display_name, is_admin=True)
    organisations.require_not_competing(None, user.id)  # an admin acts as the owner of every organisation
    user.is_admin = True
    audit.record(None, "user.admin_granted", user, None)
    db.session.commit()
    return user
