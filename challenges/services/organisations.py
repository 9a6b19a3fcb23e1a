"""Organisations and their members."""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, NotFound
from challenges.extensions import db
from challenges.models import Membership, Organisation, Role, User
from challenges.services import audit, policy


def get(organisation_id: int, lock: bool = False) -> Organisation:
    """An organisation by id (organisations are public); 404 when there is none."""
    organisation = db.session.get(Organisation, organisation_id, with_for_update=lock or None,
                                  populate_existing=lock)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation


def managed(actor: User | None, organisation_id: int) -> Organisation:
    """An organisation the actor runs (owners, managers, admins); 404 when there is none."""
    organisation = get(organisation_id)
    policy.require_manager(actor, organisation_id)
    return organisation


def owned(actor: User | None, organisation_id: int) -> Organisation:
    """An organisation the actor owns (or a platform admin); 404 when there is none."""
    organisation = get(organisation_id)
    policy.require_owner(actor, organisation_id)
    return organisation


def create(actor: User, *, name: str, description: str = "", website: str | None = None) -> Organisation:
    """Create an organisation with the actor as its owner."""
    now = clock.now()
    organisation = Organisation(name=name, description=description, website=website,
                                created_at=now, updated_at=now)
    db.session.add(organisation)
    db.session.flush()
    db.session.add(Membership(organisation_id=organisation.id, user_id=actor.id, role=Role.OWNER, created_at=now))
    audit.record(actor, "organisation.created", organisation, organisation.id)
    db.session.commit()
    return organisation


def update(actor: User, organisation_id: int, **changes) -> Organisation:
    """Change an organisation's name, description or website (owners, managers)."""
    organisation = managed(actor, organisation_id)
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.updated_at = clock.now()
    audit.record(actor, "organisation.updated", organisation, organisation.id, fields=sorted(changes))
    db.session.commit()
    return organisation


def members(actor: User, organisation_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The organisation's members (members only)."""
    get(organisation_id)
    policy.require_member(actor, organisation_id)
    query = select(Membership).options(selectinload(Membership.user)) \
        .where(Membership.organisation_id == organisation_id)
    return pagination.paginate(query, [Membership.user_id], limit, cursor)


def _owner_count(organisation_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == organisation_id, Membership.role == Role.OWNER))


def set_member(actor: User, organisation_id: int, user_id: int, role: Role) -> Membership:
    """Add a member or change their role; the last owner stays an owner."""
    organisation = get(organisation_id, lock=True)  # serialises role changes: never zero owners
    policy.require_owner(actor, organisation_id)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    membership = db.session.get(Membership, (organisation_id, user_id))
    if membership is None:
        membership = Membership(organisation_id=organisation_id, user_id=user_id, role=role, created_at=clock.now())
        db.session.add(membership)
        audit.record(actor, "member.added", organisation, organisation_id, user_id=user_id, role=role)
    elif membership.role != role:
        if membership.role is Role.OWNER and _owner_count(organisation_id) == 1:
            raise Conflict("The last owner cannot be demoted; make someone else owner first.")
        audit.record(actor, "member.role_changed", organisation, organisation_id,
                     user_id=user_id, old_role=membership.role, role=role)
        membership.role = role
    db.session.commit()
    return membership


def remove_member(actor: User, organisation_id: int, user_id: int) -> None:
    """Remove a member; the last owner cannot be removed."""
    organisation = get(organisation_id, lock=True)
    policy.require_owner(actor, organisation_id)
    membership = db.session.get(Membership, (organisation_id, user_id))
    if membership is None:
        raise NotFound("No such member.")
    if membership.role is Role.OWNER and _owner_count(organisation_id) == 1:
        raise Conflict("The last owner cannot be removed; make someone else owner first.")
    db.session.delete(membership)
    audit.record(actor, "member.removed", organisation, organisation_id, user_id=user_id, role=membership.role)
    db.session.commit()
