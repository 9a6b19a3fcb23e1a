"""Relaying the outbox after each commit: webhook deliveries and notification emails."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event, or_, update
from sqlalchemy.orm import Session

from challenges import jobs
from challenges.extensions import db

RELAY_FLAG = "outbox_relay"


def wake() -> None:
    """Ask for a relay once the current transaction commits."""
    db.session.info[RELAY_FLAG] = True


@event.listens_for(Session, "after_commit")
def _relay_after_commit(session: Session) -> None:
    if session.info.pop(RELAY_FLAG, False):
        jobs.after_commit(relay)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(RELAY_FLAG, None)


BATCH = 100  # deliveries, and emails, per turn of a relay
TURNS = 20  # turns before a busy relay hands over to a fresh job


def relay() -> None:
    """Send what is due: webhook deliveries, deadline reminders, then emails, a batch of each per turn (passed
    deadlines are noted first).

    With Redis one queued relay serves every commit made before it starts, so it goes on while its batches come
    back full, then hands over to a fresh job; without it, every commit starts a relay of its own."""
    from challenges.services import notifications, reminders, webhooks

    reminders.mark_passed_phases()
    for _ in range(TURNS if current_app.config.get("REDIS_URL") else 1):
        busy = webhooks.deliver_due(BATCH) >= BATCH
        reminders.remind_due()
        busy |= notifications.send_due_emails(BATCH) >= BATCH
        if not busy:
            return
    if current_app.config.get("REDIS_URL"):
        jobs.enqueue(relay)


def claim(model, row_id: int, status, next_at, now: datetime, lease: timedelta) -> bool:
    """Take a due row for one attempt: only one relay wins, and a crashed one's claim lapses after the lease."""
    result = db.session.execute(
        update(model).where(model.id == row_id, status == "pending", or_(next_at.is_(None), next_at <= now))
        .values({next_at: now + lease}).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def retry_at(attempts: int, max_attempts: int, now: datetime) -> datetime | None:
    """When to try again after a failed attempt (the base wait, doubling with each failure); None once the
    attempts are used up."""
    if attempts >= max_attempts:
        return None
    return now + timedelta(seconds=current_app.config["WEBHOOK_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1))


def retry_later(when: datetime | None, now: datetime) -> None:
    """Schedule a relay for a retry that is due at `when` (nothing when there is none)."""
    if when:
        jobs.enqueue_in((when - now).total_seconds(), relay)
