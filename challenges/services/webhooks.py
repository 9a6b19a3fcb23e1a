"""Organisations' webhooks: registration, signed deliveries with retries, and the delivery log."""
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from cryptography.fernet import InvalidToken
from flask import current_app
from flask_babel import gettext as _
from limits import parse
from requests.adapters import HTTPAdapter
from sqlalchemy import delete as delete_rows, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, NotFound, ValidationFailed
from challenges.extensions import db
from challenges.models import Delivery, DeliveryStatus, User, Webhook
from challenges.models.events import DestinationWindow
from challenges.services import addresses, audit, organisations, outbox, policy, secrets
from challenges.telemetry.counters import WEBHOOK_DELIVERIES, count_on_commit

TIMEOUT = (5, 10)  # seconds to connect, seconds to answer
LEASE = timedelta(minutes=5)  # far longer than an attempt, so a claim outlives it
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # windows of attempts per destination are counted from here
log = logging.getLogger(__name__)


def register(actor: User, organisation_id: int, *, url: str, events: list[str]) -> Webhook:
    """Register an endpoint, once per URL and within the organisation's allowance; its plain secret rides on
    the returned object this once, and is stored sealed."""
    organisations.managed(actor, organisation_id)
    if reason := addresses.refusal(url):
        raise ValidationFailed("url", reason)
    organisations.get(organisation_id, lock=True)  # registrations of one organisation are counted one at a time
    allowance = current_app.config["WEBHOOKS_PER_ORGANISATION"]
    if db.session.scalar(select(func.count()).where(Webhook.organisation_id == organisation_id)) >= allowance:
        raise Conflict(_("An organisation may have at most %(count)s webhooks; delete one first.", count=allowance))
    secret = secrets.new_secret()
    hook = Webhook(organisation_id=organisation_id, url=url, url_sha256=_digest(url),
                   events=list(dict.fromkeys(events)), secret_encrypted=secrets.seal(secret), created_by=actor.id,
                   created_at=clock.now())
    db.session.add(hook)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("The organisation already has a webhook for this URL.")) from None
    audit.record(actor, "webhook.registered", hook, organisation_id, url=url, events=hook.events)
    db.session.commit()
    hook.secret = secret
    return hook


def _digest(url: str) -> str:
    return hashlib.sha256(addresses.canonical(url).encode()).hexdigest()


def for_organisation(actor: User, organisation_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """An organisation's webhooks (owners and managers)."""
    organisations.managed(actor, organisation_id)
    query = select(Webhook).where(Webhook.organisation_id == organisation_id)
    return pagination.paginate(query, [Webhook.id], limit, cursor)


def managed(actor: User, webhook_id: int) -> Webhook:
    """A webhook of an organisation the actor runs; 404 to anyone else."""
    hook = db.session.get(Webhook, webhook_id)
    policy.visible_or_404(hook is not None and policy.is_member(actor, hook.organisation_id), "webhook")
    policy.require_manager(actor, hook.organisation_id)
    return hook


def delete(actor: User, organisation_id: int, webhook_id: int) -> None:
    """Remove an endpoint and its pending deliveries."""
    organisations.managed(actor, organisation_id)
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or hook.organisation_id != organisation_id:
        raise NotFound(_("No such webhook."))
    audit.record(actor, "webhook.deleted", hook, organisation_id, url=hook.url)
    db.session.delete(hook)
    db.session.commit()


def deliveries(actor: User, webhook_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """A webhook's delivery log, newest first."""
    hook = managed(actor, webhook_id)
    query = select(Delivery).options(selectinload(Delivery.event)).where(Delivery.webhook_id == hook.id)
    return pagination.paginate(query, [Delivery.id], limit, cursor, descending=True)


def managed_delivery(actor: User, delivery_id: int) -> Delivery:
    """A delivery of a webhook the actor manages; 404 to anyone else."""
    delivery = db.session.get(Delivery, delivery_id)
    policy.visible_or_404(delivery is not None, "delivery")
    managed(actor, delivery.webhook_id)
    return delivery


def redeliver(actor: User, delivery_id: int) -> Delivery:
    """Send a delivery again now, with a fresh round of attempts."""
    delivery = managed_delivery(actor, delivery_id)
    db.session.refresh(delivery, with_for_update=True)
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, clock.now()
    audit.record(actor, "delivery.redelivered", delivery, delivery.webhook.organisation_id)
    outbox.wake()
    db.session.commit()
    return delivery


def deliver_due(batch: int = 100) -> int:
    """Attempt every delivery that is due, within each destination's share; returns how many were attempted."""
    now = clock.now()
    due = db.session.scalars(select(Delivery.id).where(
        Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(batch)).all()
    db.session.execute(delete_rows(DestinationWindow).where(DestinationWindow.window_start <= now - _window()[1]))
    db.session.commit()
    attempted, postponed = 0, []
    for delivery_id in due:
        if outbox.claim(Delivery, delivery_id, Delivery.status, Delivery.next_attempt_at, now, LEASE):
            try:
                later = attempt(delivery_id)
            except Exception:  # one broken delivery must not hold up the others; its claim lapses later
                db.session.rollback()
                log.exception("delivery %s could not be attempted", delivery_id)
                later = None
            if later:
                postponed.append(later)
            else:
                attempted += 1
    outbox.retry_later(min(postponed, default=None), now)
    return attempted


def payload(delivery: Delivery) -> bytes:
    """The body of a delivery: the same bytes on every attempt."""
    event = delivery.event
    body = {"id": delivery.id, "type": event.type, "created_at": event.created_at.isoformat(), "data": event.data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Challenges-Signature header: t=<unix seconds>,v1=<HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def attempt(delivery_id: int) -> datetime | None:
    """POST a claimed delivery once and record the outcome: delivered, a retry later, or failed. When its
    destination has had its share of attempts for now, the delivery waits instead: the time it waits until."""
    delivery = db.session.scalar(select(Delivery).where(Delivery.id == delivery_id).options(
        joinedload(Delivery.webhook, innerjoin=True), joinedload(Delivery.event, innerjoin=True),
    ).execution_options(populate_existing=True))
    if delivery is None:  # its webhook was deleted since the delivery was picked: there is nothing to send
        db.session.commit()
        return None
    target = addresses.resolve(delivery.webhook.url)  # checked again: DNS may have changed since registration
    if not isinstance(target, str) and (later := _share_spent(target.ip)):  # not an attempt: nothing is counted
        db.session.execute(update(Delivery).where(Delivery.id == delivery_id).values(next_attempt_at=later)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        return later
    status_code, error = _post(delivery, target)
    _record(delivery_id, status_code, error)
    return None


def _window() -> tuple[int, timedelta]:
    """The attempts each destination may have per window, and the window's length."""
    share = parse(current_app.config["WEBHOOK_DELIVERIES_PER_HOST"])
    return share.amount, timedelta(seconds=share.get_expiry())


def _share_spent(address: str) -> datetime | None:
    """Count an attempt to the address in the current window; when the window's share is already spent,
    nothing is counted and the next window's start is returned. Atomic, so relays in parallel share it."""
    amount, length = _window()
    now = clock.now()
    start = EPOCH + (now - EPOCH) // length * length
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    counted = db.session.scalar(dialect.insert(DestinationWindow).values(
        address=address.split("%")[0], window_start=start, attempts=1,
    ).on_conflict_do_update(
        index_elements=["address", "window_start"], set_={"attempts": DestinationWindow.attempts + 1},
        where=DestinationWindow.attempts < amount,
    ).returning(DestinationWindow.attempts))
    db.session.commit()
    return None if counted else start + length


def _record(delivery_id: int, status_code: int | None, error: str | None) -> None:
    """Record an attempt's outcome; nothing when the delivery went with its webhook while it was under way."""
    delivery = db.session.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update()
                                 .execution_options(populate_existing=True))
    if delivery is None:
        db.session.commit()
        return
    now = clock.now()
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = status_code, error
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    else:
        delivery.next_attempt_at = outbox.retry_at(delivery.attempts, current_app.config["WEBHOOK_MAX_ATTEMPTS"], now)
        delivery.status = DeliveryStatus.PENDING if delivery.next_attempt_at else DeliveryStatus.FAILED
    count_on_commit(WEBHOOK_DELIVERIES.labels(delivery.status))
    db.session.commit()
    outbox.retry_later(delivery.next_attempt_at, now)


def _post(delivery: Delivery, target: addresses.Target | str) -> tuple[int | None, str | None]:
    """Send the delivery to the checked address; the status code, and an error unless it was a 2xx."""
    if isinstance(target, str):
        return None, target
    hook = delivery.webhook
    body = payload(delivery)
    try:
        secret = secrets.unseal(hook.secret_encrypted)
    except InvalidToken:  # SECRET_KEY changed since registration: register the endpoint again
        return None, "The signing secret cannot be decrypted; register the webhook again."
    headers = {"Content-Type": "application/json", "User-Agent": "challenges-webhooks",
               "Challenges-Event": delivery.event.type, "Challenges-Delivery": str(delivery.id),
               "Challenges-Signature": signature(secret, int(clock.now().timestamp()), body)}
    url = hook.url
    db.session.commit()  # no transaction stays open while we wait on the network
    try:
        with _pinned_session(target) as session, session.post(
                _pinned_url(url, target), data=body, headers=headers | {"Host": _host_header(url)}, timeout=TIMEOUT,
                allow_redirects=False, stream=True) as response:  # the answer's body is never read
            code = response.status_code
    except requests.RequestException as error:  # the kind of failure only: no details of the far network
        return None, type(error).__name__
    return code, None if 200 <= code < 300 else f"HTTP {code}"


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address while TLS checks the certificate against the URL's host name."""

    def __init__(self, hostname: str):
        self._hostname = hostname
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, server_hostname=self._hostname, assert_hostname=self._hostname, **kwargs)


def _pinned_session(target: addresses.Target) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment may see or redirect deliveries
    session.mount("https://", _PinnedAdapter(target.hostname))
    return session


def _pinned_url(url: str, target: addresses.Target) -> str:
    parts = urlsplit(url)
    ip = f"[{target.ip}]" if ":" in target.ip else target.ip
    return urlunsplit((parts.scheme, f"{ip}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(url: str) -> str:
    return urlsplit(url).netloc
