"""In-app notifications, and the emails sent for them through SMTP_URL."""
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm.util import identity_key

from challenges import clock, i18n, pagination
from challenges.extensions import db
from challenges.models import Challenge, EmailStatus, Notification, Participation, RegistrationStatus, User
from challenges.services import outbox, policy
from challenges.telemetry.counters import EMAILS, count_on_commit

LEASE = timedelta(seconds=120)
SUBJECTS = {
    "submission.received": _l("We received your submission"),
    "submission.disqualified": _l("Your submission was disqualified"),
    "question.answered": _l("Your question was answered"),
    "announcement.posted": _l("A new announcement"),
    "challenge.finalised": _l("The results are out"),
    "challenge.deadline_approaching": _l("The deadline is near"),
    "award.paid": _l("Your prize was paid"),
    "team.invited": _l("You are invited to a team"),
    "team.split_changed": _l("Your team's prize split changed"),
    "organisation.invitation_accepted": _l("Someone joined your organisation"),
    "registration.approved": _l("Your registration was approved"),
    "registration.refused": _l("Your registration was refused"),
}
INSERT_NOTIFICATION = insert(Notification.__table__)  # built once: most changes notify someone
log = logging.getLogger(__name__)


def to_users(kind: str, user_ids, data: dict | None = None, extra: dict | None = None) -> None:
    """Notify these users (in-app, and by email unless they turned it off); extra[user_id] adds to the data."""
    ids = list(dict.fromkeys(user_ids))
    loaded = {user.id: user for user in map(_loaded_user, ids) if user is not None}  # the actor, usually
    missing = [user_id for user_id in ids if user_id not in loaded]
    emails = [(user.id, user.email_notifications) for user in loaded.values()]
    if missing:
        emails += db.session.execute(select(User.id, User.email_notifications).where(User.id.in_(missing))).all()
    _add(kind, data or {}, emails, extra or {})


def _loaded_user(user_id: int) -> User | None:
    """The user if this session holds them already, without a query."""
    return db.session.identity_map.get(identity_key(User, user_id))


def to_participants(kind: str, challenge: Challenge, data: dict, extra: dict | None = None) -> None:
    """Notify everyone who joined the challenge, by submitting or by registering (pending ones too), but those
    the organisation refused."""
    emails = db.session.execute(select(User.id, User.email_notifications).join(
        Participation, Participation.user_id == User.id).where(
        Participation.challenge_id == challenge.id, Participation.status != RegistrationStatus.REFUSED)).all()
    _add(kind, data, emails, extra or {})


def _add(kind: str, data: dict, recipients, extra: dict) -> None:
    now = clock.now()
    mail = bool(current_app.config.get("SMTP_URL"))
    rows = [{"user_id": user_id, "kind": kind, "data": {**data, **extra.get(user_id, {})}, "created_at": now,
             "email_status": EmailStatus.PENDING if mail and wants_email else None, "email_attempts": 0}
            for user_id, wants_email in recipients]
    if rows:
        db.session.execute(INSERT_NOTIFICATION, rows)
        if mail:
            outbox.wake()


def for_user(actor: User, limit: int, cursor: str | None) -> pagination.Page:
    """The actor's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == actor.id)
    return pagination.paginate(query, [Notification.id], limit, cursor, descending=True)


def own(actor: User, notification_id: int) -> Notification:
    """One of the actor's notifications; NotFound for anyone else's."""
    notification = db.session.get(Notification, notification_id)
    policy.visible_or_404(notification is not None and notification.user_id == actor.id, "notification")
    return notification


def mark_read(actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (the first time counts)."""
    notification = own(actor, notification_id)
    notification.read_at = notification.read_at or clock.now()
    db.session.commit()
    return notification


def send_due_emails(batch: int = 100) -> int:
    """Send every email that is due; returns how many were attempted."""
    if not current_app.config.get("SMTP_URL"):
        return 0
    now = clock.now()
    due = db.session.scalars(select(Notification.id).where(
        Notification.email_status == EmailStatus.PENDING,
        (Notification.email_next_attempt_at.is_(None)) | (Notification.email_next_attempt_at <= now))
        .order_by(Notification.id).limit(batch)).all()
    db.session.commit()
    attempted = 0
    for notification_id in due:
        if outbox.claim(Notification, notification_id, Notification.email_status, Notification.email_next_attempt_at,
                        now, LEASE):
            _send(notification_id)
            attempted += 1
    return attempted


def _send(notification_id: int) -> None:
    """Email one claimed notification and record the outcome."""
    notification = db.session.get(Notification, notification_id)
    user = db.session.get(User, notification.user_id)
    if not user.email_notifications:
        notification.email_status, notification.email_next_attempt_at = None, None
        db.session.commit()
        return
    try:
        message = compose(notification, user)
    except ValueError as problem:  # a header we could not build: counts as a failed attempt, never loops
        message, error = None, f"cannot compose: {problem}"
    db.session.commit()  # no transaction stays open while the mail server answers
    if message is not None:
        error = deliver(message)
    now = clock.now()
    notification.email_attempts += 1
    if error is None:
        notification.email_status, notification.email_next_attempt_at = EmailStatus.SENT, None
    else:
        retry = outbox.retry_at(notification.email_attempts, current_app.config["EMAIL_MAX_ATTEMPTS"], now)
        if retry is None:
            log.warning("giving up on the email of notification %s: %s", notification_id, error)
        notification.email_status = EmailStatus.PENDING if retry else EmailStatus.FAILED
        notification.email_next_attempt_at = retry
    count_on_commit(EMAILS.labels(notification.email_status))
    db.session.commit()
    outbox.retry_later(notification.email_next_attempt_at, now)


def compose(notification: Notification, user: User) -> EmailMessage:
    """The email for a notification, in the recipient's language: a subject by kind, and the facts in plain text."""
    locale, zone = i18n.recipient_locale(user), getattr(user, "time_zone", None)
    with force_locale(locale):
        message = EmailMessage()
        message["From"] = current_app.config["SMTP_FROM"]
        message["To"] = user.email
        challenge = notification.data.get("challenge", {})
        subject = str(SUBJECTS.get(notification.kind) or _("News from challenges"))
        title = " ".join(str(challenge.get("title") or "").split())  # headers hold one line
        message["Subject"] = _("%(subject)s: %(title)s", subject=subject, title=title) if title else subject
        lines = [_("Hello %(name)s,", name=user.display_name), "", f"{subject}."]
        lines += [f"{key}: {_local(value, zone)}" for key, value in _facts(notification.data)]
        lines += ["", _("You can turn these emails off with PATCH /api/v1/me {\"email_notifications\": false}.")]
        message.set_content("\n".join(lines))
        message["Content-Language"] = locale  # after set_content, which drops the Content-* headers
    return message


def _local(value, zone: str | None):
    """A timestamp shown in the recipient's time zone when they chose one (named after it); anything else as is."""
    if zone is None or not isinstance(value, str) or len(value) < 20:  # shorter ones carry no time and offset
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{moment.astimezone(ZoneInfo(zone)).isoformat()} ({zone})" if moment.tzinfo else value


def _facts(data: dict, prefix: str = ""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _facts(value, f"{prefix}{key}.")
        elif value is not None and not isinstance(value, list):
            yield f"{prefix}{key}", value


def deliver(message: EmailMessage) -> str | None:
    """Hand an email to the SMTP server of SMTP_URL; an error message, or None when it was accepted."""
    url = urlsplit(current_app.config["SMTP_URL"])
    connect = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with connect(url.hostname, url.port or (465 if url.scheme == "smtps" else 25), timeout=10) as smtp:
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}"
    return None
