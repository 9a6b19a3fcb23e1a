"""Idempotency keys: a retried POST gets the first answer instead of creating twice."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from challenges import clock
from challenges.errors import Conflict, ValidationFailed
from challenges.extensions import db
from challenges.models import IdempotencyRecord, User

LIFETIME = timedelta(hours=24)


class InProgress(Conflict):
    """The first request with this key has not finished yet."""

    headers = {"Retry-After": "1"}


def begin(actor: User, key: str, request_sha256: str) -> IdempotencyRecord | None:
    """The finished record of an earlier identical request; or None, with the key claimed in the current
    transaction: the work's commit keeps the claim, its rollback lets go of it."""
    now = clock.now()
    # Expired keys of everyone go here: an indexed range that is nearly always empty.
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= now - LIFETIME))
    db.session.add(IdempotencyRecord(user_id=actor.id, key=key, request_sha256=request_sha256, created_at=now))
    try:
        db.session.flush()  # a request running with this key holds it: this waits for its transaction to end
        return None
    except IntegrityError:
        db.session.rollback()
    record = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == actor.id, IdempotencyRecord.key == key))
    if record is None:  # the other request failed and let go of the key meanwhile
        raise InProgress("A request with this Idempotency-Key was just running; send it again.")
    if record.request_sha256 != request_sha256:
        raise ValidationFailed("Idempotency-Key", _("This key was already used with another request."))
    if record.status_code is None:
        raise InProgress("A request with this Idempotency-Key is still running; send it again shortly.")
    return record


def finish(actor: User, key: str, status_code: int, body: str) -> None:
    """Remember the answer to the request that claimed the key (its work is committed by now)."""
    db.session.execute(update(IdempotencyRecord).where(*_claim(actor, key)).values(
        status_code=status_code, response_body=body))
    db.session.commit()


def release(actor: User, key: str) -> None:
    """Forget a key whose request failed, so that a retry runs again (the claim may have been committed)."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyRecord).where(*_claim(actor, key)))
    db.session.commit()


def _claim(actor: User, key: str) -> tuple:
    """The condition selecting the actor's unfinished claim of the key."""
    return (IdempotencyRecord.user_id == actor.id, IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None))
