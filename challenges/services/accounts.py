"""Registration, sign-in tokens and the signed-in user."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from challenges import clock, i18n
from challenges.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from challenges.extensions import db
from challenges.models import Token, User
from challenges.services import account_links, audit, organisations, sign_in_throttle
from challenges.services.account_links import RESET, VERIFY
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


def register(*, email: str, password: str, display_name: str, is_admin: bool = False,
             verified: bool = False) -> User:
    """Create an account and email it a link to verify its address; 409 when the email is taken, 422 for a
    display name that reads like spam. Platform admins, named by the operator, `verified` accounts (demo data)
    and every account of an instance that sends no email start verified."""
    email, display_name = email.strip().lower(), display_name.strip()
    if not is_admin:  # the operator names platform admins from the command line
        _require_plain_name(display_name)
    if find_by_email(email):
        raise Conflict(_("An account with this email already exists."))
    now = clock.now()
    user = User(email=email, password_hash=hash_password(password), display_name=display_name,
                is_admin=is_admin, created_at=now, email_verified_at=None)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("An account with this email already exists.")) from None
    if is_admin:
        audit.record(None, "user.admin_created", user, None)
    if is_admin or verified or not account_links.mailing():
        user.email_verified_at = now
    link = None if user.email_verified else account_links.issue(user, VERIFY, email, _language(user))
    db.session.commit()
    account_links.send(link)
    return user


def _require_plain_name(display_name: str) -> None:
    from challenges.services import moderation  # which revokes accounts' tokens

    moderation.require_plain_name("display_name", display_name)


def _language(user: User) -> str:
    """The language of what is sent to the user: theirs when they chose one, else the one being written now."""
    return user.locale or i18n.current()


def update_me(actor: User, *, email: str | None = None, current_password: str | None = None, **settings) -> User:
    """Change the actor's settings; a new email waits, as pending, until the link sent to it is followed."""
    if "display_name" in settings:
        _require_plain_name(settings["display_name"])
    link = None
    if email is not None:  # first: the links' rows are written before the user's (the lock order)
        require_password(actor, current_password)
        link = _change_email(actor, email)
    for name, value in settings.items():  # display_name, locale, time_zone, email_notifications
        setattr(actor, name, value)
    db.session.commit()
    account_links.send(link)
    return actor


def require_password(actor: User, password: str | None) -> None:
    """422 unless the password is the actor's."""
    if not verify_password(actor.password_hash, password or ""):
        raise ValidationFailed("current_password", _("The current password is wrong."))


def _change_email(actor: User, email: str) -> account_links.Link | None:
    """Keep the new address as pending and send it a link (not committed), or, on an instance that sends no
    email, apply it at once; the current address cancels a pending change."""
    if email == actor.email:  # the links sent to the pending address stop working with it
        actor.pending_email = None
        return None
    other = find_by_email(email)
    if other is not None and other.id != actor.id:
        raise Conflict(_("An account with this email already exists."))
    if not account_links.mailing():
        _apply_email(actor, email)
        actor.email_verified_at = clock.now()
        return None
    link = account_links.issue(actor, VERIFY, email, _language(actor))
    actor.pending_email = email
    return link


def resend_verification(actor: User) -> None:
    """Send a fresh link to the address that waits for verification: the pending one, else the account's own;
    409 when none waits."""
    email = actor.pending_email or (None if actor.email_verified else actor.email)
    if email is None:
        raise Conflict(_("Your email address is verified already."))
    link = account_links.issue(actor, VERIFY, email, _language(actor))
    db.session.commit()
    account_links.send(link)


def change_password(actor: User, raw_token: str, *, current_password: str, new_password: str) -> None:
    """Change the actor's password; every token but the one of this request is revoked."""
    require_password(actor, current_password)
    actor.password_hash = hash_password(new_password)
    _forget_pending_email(actor)
    account_links.expire(actor, RESET)
    db.session.execute(update(Token).where(
        Token.user_id == actor.id, Token.revoked_at.is_(None), Token.token_hash != _digest(raw_token))
        .values(revoked_at=clock.now()).execution_options(synchronize_session=False))
    audit.record(actor, "user.password_changed", actor, None)
    db.session.commit()


def _forget_pending_email(user: User) -> None:
    """Drop a pending change of address and its links (not committed): whoever holds the new password decides
    anew, so that a change asked for with a stolen password dies with it."""
    user.pending_email = None
    account_links.expire(user, VERIFY)


def request_password_reset(email: str) -> None:
    """Email a reset link to the account with this address, if there is one that may sign in; the caller learns
    nothing either way."""
    user = find_by_email(email)
    if user is None or user.suspended_at or _barred(user):
        return
    link = account_links.issue(user, RESET, user.email, _language(user))
    db.session.commit()
    account_links.send(link)


def reset_password(raw: str, new_password: str) -> None:
    """Set a new password with a reset link's token (used once); every token of the account is revoked."""
    token = account_links.redeem(raw, RESET)
    user = token.user
    if token.email != user.email:  # sent to an address the account no longer has
        raise NotFound(_("This link is unknown, used or expired: ask for a new one."))
    user.password_hash = hash_password(new_password)
    user.email_verified_at = user.email_verified_at or token.used_at  # the link reached the address
    _forget_pending_email(user)
    revoke_all_tokens(user)
    audit.record(None, "user.password_reset", user, None)
    db.session.commit()


def verify_email(raw: str) -> None:
    """Confirm an address with the token of the link sent to it: the account's own, or its pending new one, which
    then replaces it (409 when another account took that address meanwhile)."""
    token = account_links.redeem(raw, VERIFY)
    user = token.user
    if token.email != user.email:
        if token.email != user.pending_email:
            raise NotFound(_("This link is unknown, used or expired: ask for a new one."))
        _apply_email(user, token.email)
    user.email_verified_at = token.used_at
    db.session.commit()


def _apply_email(user: User, email: str) -> None:
    """Make a verified address (or, without email, a given one) the account's own (not committed); reset links
    sent to the old one lapse."""
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise Conflict(_("Another account has this email address now."))
    account_links.expire(user, RESET)
    audit.record(user, "user.email_changed", user, None)
    user.email, user.pending_email = email, None
    try:
        db.session.flush()
    except IntegrityError:  # taken by an account made at the same moment
        db.session.rollback()
        raise Conflict(_("Another account has this email address now.")) from None


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
    if token is None or token.revoked_at or token.expires_at <= now or token.user.suspended_at or _barred(token.user) \
            or token.user.erased_at:  # a token issued while the account was being erased
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
