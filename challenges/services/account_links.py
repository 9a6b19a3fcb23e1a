"""Single-use links sent by email, to reset a password or to verify an address: random tokens kept as SHA-256."""
import hashlib
import logging
import secrets
from datetime import timedelta
from email.message import EmailMessage
from typing import NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from challenges import clock, jobs
from challenges.errors import NotFound
from challenges.extensions import db
from challenges.models import AccountToken, AccountTokenPurpose, User
from challenges.services import outbox
from challenges.services.secrets import seal, unseal

RESET, VERIFY = AccountTokenPurpose.RESET, AccountTokenPurpose.VERIFY
LIFETIME = {RESET: timedelta(minutes=30), VERIFY: timedelta(hours=48)}
PAGE = {RESET: "reset-password", VERIFY: "verify-email"}  # the front end's pages, under PUBLIC_URL
log = logging.getLogger(__name__)


class Link(NamedTuple):
    """A link token just added, with its value: the value is never stored, only emailed."""

    token_id: int
    raw: str
    locale: str


def mailing() -> bool:
    """Whether links can be emailed (SMTP_URL is set): without email nothing can prove an address, so addresses
    are taken as given."""
    return bool(current_app.config.get("SMTP_URL"))


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user: User, purpose: AccountTokenPurpose, email: str, locale: str) -> Link:
    """Add a link token for the user, sent to `email` (not committed); the user's older links of this purpose
    lapse now, so only the newest one works."""
    now = clock.now()
    expire(user, purpose)
    raw = secrets.token_urlsafe(32)
    token = AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(raw), email=email, created_at=now,
                         expires_at=now + LIFETIME[purpose])
    db.session.add(token)
    db.session.flush()
    return Link(token.id, raw, locale)


def expire(user: User, purpose: AccountTokenPurpose) -> None:
    """Let the user's live links of this purpose lapse now (not committed)."""
    now = clock.now()
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None),
        AccountToken.expires_at > now).values(expires_at=now).execution_options(synchronize_session=False))


def redeem(raw: str, purpose: AccountTokenPurpose) -> AccountToken:
    """The live link token of this value, locked and marked used (not committed); 404 for an unknown, used,
    expired or superseded one, all alike."""
    now = clock.now()
    token = db.session.scalar(select(AccountToken).where(
        AccountToken.token_hash == _digest(raw), AccountToken.purpose == purpose)
        .with_for_update().execution_options(populate_existing=True))
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise NotFound(_("This link is unknown, used or expired: ask for a new one."))
    # The account too, read afresh: a change of its address or password that commits meanwhile is seen, not undone.
    db.session.get(User, token.user_id, with_for_update={"key_share": True}, populate_existing=True)
    token.used_at = now
    return token


def send(link: Link | None) -> None:
    """Email a committed link after the response (or on the worker); nothing is sent without SMTP_URL. The token
    travels sealed: a queued job's arguments sit in Redis, and a failed job's are logged."""
    if link is not None and mailing():
        jobs.enqueue(email_link, link.token_id, seal(link.raw), link.locale)


def email_link(token_id: int, sealed: str, locale: str, attempt: int = 1) -> None:
    """Email a link while it still works; a failed attempt is retried like a notification's email."""
    token = db.session.get(AccountToken, token_id)
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        return
    deliver_while_live(compose(token, unseal(sealed), locale), token.expires_at, attempt, email_link,
                       token_id, sealed, locale)


def deliver_while_live(message: EmailMessage, expires_at, attempt: int, job, *args) -> None:
    """Send an email carrying a link; when it fails, queue job(*args, attempt + 1) for a retry, with a
    notification's backoff, while the link still lives."""
    from challenges.services import notifications

    now = clock.now()
    db.session.commit()  # no transaction stays open while the mail server answers
    error = notifications.deliver(message)
    if error is None:
        return
    retry = outbox.retry_at(attempt, current_app.config["EMAIL_MAX_ATTEMPTS"], now)
    if retry is None or retry >= expires_at:
        log.warning("giving up on the email of %s %s: %s", job.__qualname__, args[0], error)
        return
    jobs.enqueue_in((retry - now).total_seconds(), job, *args, attempt + 1)


def compose(token: AccountToken, raw: str, locale: str) -> EmailMessage:
    """The email that carries a link, in the given language."""
    url = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/{PAGE[token.purpose]}#token={raw}"
    with force_locale(locale):
        message = EmailMessage()
        message["From"] = current_app.config["SMTP_FROM"]
        message["To"] = token.email
        if token.purpose is RESET:
            message["Subject"] = _("Reset your password")
            lines = [_("Someone, probably you, asked to reset the password of your account. Open this link "
                       "within 30 minutes to choose a new one:"), "", url, "",
                     _("If you did not ask, ignore this email: your password stays as it is.")]
        else:
            message["Subject"] = _("Confirm your email address")
            lines = [_("Open this link within 48 hours to confirm that this address is yours:"), "", url, "",
                     _("If you did not ask for this, ignore this email.")]
        lines = [_("Hello %(name)s,", name=token.user.display_name), "", *lines, "", _("Token: %(token)s", token=raw)]
        message.set_content("\n".join(lines))
        message["Content-Language"] = locale  # after set_content, which drops the Content-* headers
    return message
