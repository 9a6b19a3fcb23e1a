"""Organisations and their members."""
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, NotFound
from challenges.extensions import db
from challenges.models import (
    Challenge, Membership, Moderation, ObjectType, Organisation, Role, Status, Submission, SubmissionStatus, TeamMember,
    User,
)
from challenges.services import audit, moderation, policy


def get(organisation_id: int, lock: bool = False) -> Organisation:
    """An organisation by id (organisations are public); 404 when there is none."""
    # FOR NO KEY UPDATE: role changes queue here, while rows that only refer to the organisation (the audit
    # entry of an entrant's submission, say) are still written, so an entrant holding the challenge never waits.
    organisation = db.session.get(Organisation, organisation_id, populate_existing=lock,
                                  with_for_update={"key_share": True} if lock else None)
    if organisation is None:
        raise NotFound(_("No such organisation."))
    return organisation


class OrganisationView:
    """An organisation as one reader sees it: while it is held or hidden as spam, only its members and platform
    admins read its name, description and website; everyone else reads "Organisation <id>" and nothing more."""

    def __init__(self, organisation: Organisation, *, masked: bool):
        self._organisation, self._masked = organisation, masked

    def __getattr__(self, name):
        return getattr(self._organisation, name)

    @property
    def name(self) -> str:
        """The name, or "Organisation <id>" when masked."""
        return f"Organisation {self._organisation.id}" if self._masked else self._organisation.name

    @property
    def description(self) -> str:
        """The description, or nothing when masked."""
        return "" if self._masked else self._organisation.description

    @property
    def website(self) -> str | None:
        """The website, or none when masked: it is what spam would send readers to."""
        return None if self._masked else self._organisation.website


def read(actor: User | None, organisation_id: int) -> OrganisationView:
    """An organisation as the actor may see it (organisations are public); 404 when there is none."""
    organisation = get(organisation_id)
    masked = organisation.moderation is not Moderation.VISIBLE and not policy.is_member(actor, organisation_id)
    return OrganisationView(organisation, masked=masked)


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
    moderation.screen(actor, ObjectType.ORGANISATION, organisation)
    db.session.commit()
    return organisation


def update(actor: User, organisation_id: int, **changes) -> Organisation:
    """Change an organisation's name, description or website (owners, managers)."""
    organisation = managed(actor, organisation_id)
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.updated_at = clock.now()
    if changes.keys() & {"name", "description", "website"}:  # an edit may not smuggle spam in
        moderation.screen(actor, ObjectType.ORGANISATION, organisation, edited=True)
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


def owner_count(organisation_id: int) -> int:
    """How many owners the organisation has."""
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == organisation_id, Membership.role == Role.OWNER))


def set_member(actor: User, organisation_id: int, user_id: int, role: Role) -> Membership:
    """Change a member's role; the last owner stays an owner, and no one takes a role while competing in the
    organisation's challenges. Newcomers join by invitation only (409)."""
    organisation = get(organisation_id, lock=True)  # serialises role changes: never zero owners
    policy.require_owner(actor, organisation_id)
    membership = db.session.get(Membership, (organisation_id, user_id))
    if membership is None:  # the same answer whether an account has this id or not: ids tell nothing
        raise Conflict(_("This person is not a member; invite them by email with POST "
                         "/api/v1/organisations/%(id)s/invitations.", id=organisation_id))
    if membership.role != role:
        require_not_competing(actor, user_id, organisation_id)
        if membership.role is Role.OWNER and owner_count(organisation_id) == 1:
            raise Conflict(_("The last owner cannot be demoted; make someone else owner first."))
        audit.record(actor, "member.role_changed", organisation, organisation_id,
                     user_id=user_id, old_role=membership.role, role=role)
        membership.role = role
    db.session.commit()
    return membership


def require_not_competing(actor: User | None, user_id: int, organisation_id: int | None = None) -> None:
    """Conflict while the user competes in a running challenge of the organisation (of any, without one): in a
    team, or with an entry that is not withdrawn. An entrant made judge or manager would read their rivals'
    work and review or award their own."""
    running = select(Challenge.id).where(Challenge.status == Status.PUBLISHED).order_by(Challenge.id)
    if organisation_id is not None:
        running = running.where(Challenge.organisation_id == organisation_id)
    # Locked until the commit: someone entering meanwhile waits for us, or we for them (submissions.join_locked).
    running = list(db.session.scalars(running.with_for_update()))
    entries = db.session.execute(select(Submission.challenge_id, Submission.moderation).where(
        Submission.challenge_id.in_(running), Submission.participant_id == user_id,
        Submission.status != SubmissionStatus.WITHDRAWN)).all()
    teams = set(db.session.scalars(select(TeamMember.challenge_id).where(
        TeamMember.challenge_id.in_(running), TeamMember.user_id == user_id)))
    if entries or teams:
        shown = teams | {challenge_id for challenge_id, moderation in entries
                         if policy.may_see_content(actor, moderation, False)}  # a held entry is not told of
        raise Conflict(_("This person competes in %(challenges)s. They can take a role once the challenge is over "
                         "(finalised or cancelled), or once they have withdrawn their entries and left their team.",
                         challenges=_names(actor, shown) or _("a running challenge")))


def _names(actor: User | None, challenge_ids: set[int]) -> str:
    """The challenges among these that the actor may see, by id and title."""
    seen = [challenge for challenge in db.session.scalars(
        select(Challenge).where(Challenge.id.in_(challenge_ids)).order_by(Challenge.id))
        if policy.may_see_challenge(actor, challenge)]
    return ", ".join(f'challenge #{challenge.id} "{challenge.title}"' for challenge in seen)


def remove_member(actor: User, organisation_id: int, user_id: int) -> None:
    """Remove a member; the last owner cannot be removed."""
    organisation = get(organisation_id, lock=True)
    policy.require_owner(actor, organisation_id)
    membership = db.session.get(Membership, (organisation_id, user_id))
    if membership is None:
        raise NotFound(_("No such member."))
    if membership.role is Role.OWNER and owner_count(organisation_id) == 1:
        raise Conflict(_("The last owner cannot be removed; make someone else owner first."))
    db.session.delete(membership)
    audit.record(actor, "member.removed", organisation, organisation_id, user_id=user_id, role=membership.role)
    db.session.commit()
