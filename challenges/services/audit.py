"""Writing and reading the audit log."""
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.extensions import db
from challenges.models import AuditEntry, User
from challenges.services import policy


# Built once: an entry is written on every change, and a table's INSERT costs a third of an ORM object's flush.
INSERT_ENTRY = insert(AuditEntry.__table__)


def record(actor: User | None, action: str, obj, organisation_id: int | None, **details) -> None:
    """Write an audit entry in the current transaction (the caller commits)."""
    db.session.execute(INSERT_ENTRY, {
        "at": clock.now(), "actor_id": actor.id if actor else None, "organisation_id": organisation_id,
        "action": action, "object_type": type(obj).__tablename__, "object_id": obj.id, "details": details})


def for_organisation(actor: User, organisation_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The organisation's audit log, newest first (owners, managers, admins)."""
    policy.require_manager(actor, organisation_id)
    query = select(AuditEntry).options(selectinload(AuditEntry.actor)) \
        .where(AuditEntry.organisation_id == organisation_id)
    return pagination.paginate(query, [AuditEntry.id], limit, cursor, descending=True)
