"""Membership by invitation: owners invite an email address to a role; the person who holds that verified
address accepts or declines with the link token emailed to it."""
import hashlib
import logging
import secrets
from datetime import timedelta
from email.message import EmailMessage
from typing import NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Integer, false, literal, select, true, union_all
from sqlalchemy.exc import IntegrityError

from challenges import clock, i18n, jobs, pagination
from challenges.errors import Conflict, NotFound
from challenges.extensions import db
from challenges.models import (
    Invitation, InvitationStatus, Membership, Moderation, Organisation, OrganisationInvitation,
    OrganisationInvitationStatus, Role, User,
)
from challenges.services import account_links, audit, notifications, organisations, policy
from challenges.services.secrets import seal, unseal

PENDING = OrganisationInvitationStatus.PENDING
LIFETIME = timedelta(days=14)  # long enough for a colleague back from a fortnight away
PAGE = "organisation-invitation"  # the front end's page, under PUBLIC_URL
TEAM, ORGANISATION = 1, 2  # the kinds of GET /me/invitations, as numbers a cursor holds
log = logging.getLogger(__name__)


class MyInvitation(NamedTuple):
    """One item of GET /me/invitations: a team invitation or an organisation invitation, and which."""

    kind: str
    team_invitation: Invitation | None = None
    organisation_invitation: OrganisationInvitation | None = None


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invite(actor: User, organisation_id: int, *, email: str, role: Role) -> OrganisationInvitation:
    """Invite an address to a role and email it a link (owners); 409 when it is a member's or has a live
    invitation already. Without email, the link's token is set on the invitation as `token`, for the owner to
    pass on (else `token` is None)."""
    invitation, raw = issue(actor, organisation_id, email=email, role=role)
    if account_links.mailing():
        jobs.enqueue(email_invitation, invitation.id, seal(raw), _locale_for(email))  # sealed, as account_links
    invitation.token = None if account_links.mailing() else raw
    return invitation


def issue(actor: User, organisation_id: int, *, email: str, role: Role) -> tuple[OrganisationInvitation, str]:
    """Store a new invitation (owners) and commit; it and the value of its token, which is never stored."""
    organisation = organisations.get(organisation_id, lock=True)  # the lock order of set_member and accept
    policy.require_owner(actor, organisation_id)
    if _member_with_email(organisation_id, email):
        raise Conflict(_("This address belongs to a member of the organisation already."))
    _supersede_expired(organisation_id, email)
    now, raw = clock.now(), secrets.token_urlsafe(32)
    invitation = OrganisationInvitation(organisation_id=organisation_id, email=email, role=role,
                                        token_hash=_digest(raw), status=PENDING, invited_by=actor.id,
                                        created_at=now, expires_at=now + LIFETIME)
    db.session.add(invitation)
    try:
        db.session.flush()
    except IntegrityError:  # the partial unique index: one pending invitation per organisation and address
        db.session.rollback()
        raise Conflict(_("This address has a pending invitation already; revoke it to send a new one.")) from None
    audit.record(actor, "invitation.created", organisation, organisation_id, invitation_id=invitation.id,
                 email=email, role=role)
    db.session.commit()
    return invitation, raw


def _member_with_email(organisation_id: int, email: str) -> bool:
    return db.session.scalar(select(Membership.user_id).join(User, User.id == Membership.user_id).where(
        Membership.organisation_id == organisation_id, User.email == email)) is not None


def _supersede_expired(organisation_id: int, email: str) -> None:
    """An expired invitation of the address makes way for a new one (a live one stays: 409)."""
    pending = db.session.scalar(select(OrganisationInvitation).where(
        OrganisationInvitation.organisation_id == organisation_id, OrganisationInvitation.email == email,
        OrganisationInvitation.status == PENDING).with_for_update())
    if pending is not None and pending.expires_at <= clock.now():
        pending.status = OrganisationInvitationStatus.SUPERSEDED
        db.session.flush()


def _locale_for(email: str) -> str:
    """The language of the invitation email: the account's own when the address has one, else the inviter's."""
    user = db.session.scalar(select(User).where(User.email == email))
    return (user.locale if user else None) or i18n.current()


def pending_of(actor: User, organisation_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The organisation's live invitations, newest first (owners)."""
    organisations.owned(actor, organisation_id)
    query = select(OrganisationInvitation).where(
        OrganisationInvitation.organisation_id == organisation_id, OrganisationInvitation.status == PENDING,
        OrganisationInvitation.expires_at > clock.now())
    return pagination.paginate(query, [OrganisationInvitation.id], limit, cursor, descending=True)


def revoke(actor: User, organisation_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation (owners): its link stops working; 409 once it is answered."""
    organisation = organisations.get(organisation_id, lock=True)
    policy.require_owner(actor, organisation_id)
    invitation = db.session.get(OrganisationInvitation, invitation_id, with_for_update=True, populate_existing=True)
    policy.visible_or_404(invitation is not None and invitation.organisation_id == organisation_id, "invitation")
    _require_pending(invitation)
    invitation.status, invitation.answered_at = OrganisationInvitationStatus.REVOKED, clock.now()
    audit.record(actor, "invitation.revoked", organisation, organisation_id, invitation_id=invitation.id,
                 email=invitation.email)
    db.session.commit()


def addressed(actor: User, raw: str) -> OrganisationInvitation:
    """The invitation of this token, when it was sent to the actor's address; 404 for an unknown token and for
    one sent to another address alike (a forwarded link tells nothing), 409 until the address is verified."""
    invitation = db.session.scalar(select(OrganisationInvitation).where(
        OrganisationInvitation.token_hash == _digest(raw)))
    if invitation is None or invitation.email != actor.email:
        raise NotFound(_("No invitation of this link was sent to your address: sign in with the account of the "
                         "address it was sent to."))
    if not actor.email_verified:  # a role goes to a person who proved the address the owner named
        raise Conflict(_("Verify your email address first; then you can accept the invitation."))
    return invitation


def accept(actor: User, raw: str) -> OrganisationInvitation:
    """Become a member with the invited role; never while competing in the organisation's challenges (409)."""
    organisation, invitation = _answering(actor, raw)
    if db.session.get(Membership, (organisation.id, actor.id)) is not None:
        raise Conflict(_("You are a member of this organisation already."))
    organisations.require_not_competing(actor, actor.id, organisation.id)
    now = clock.now()
    db.session.add(Membership(organisation_id=organisation.id, user_id=actor.id, role=invitation.role, created_at=now))
    _answer(actor, invitation, OrganisationInvitationStatus.ACCEPTED, now)
    audit.record(actor, "member.added", organisation, organisation.id, user_id=actor.id, role=invitation.role,
                 invitation_id=invitation.id)
    notifications.to_users("organisation.invitation_accepted", _owner_ids(organisation.id) - {actor.id}, {
        "organisation": {"id": organisation.id, "name": organisation.name},
        "member": {"id": actor.id, "display_name": actor.display_name}, "role": str(invitation.role)})
    db.session.commit()
    return invitation


def decline(actor: User, raw: str) -> OrganisationInvitation:
    """Turn an invitation down; its link stops working."""
    organisation, invitation = _answering(actor, raw)
    _answer(actor, invitation, OrganisationInvitationStatus.DECLINED, clock.now())
    audit.record(actor, "invitation.declined", organisation, organisation.id, invitation_id=invitation.id)
    db.session.commit()
    return invitation


def _answering(actor: User, raw: str) -> tuple[Organisation, OrganisationInvitation]:
    """The organisation and the invitation, locked in that order (that of revoke), the invitation still live."""
    addressed_to = addressed(actor, raw)
    organisation_id, invitation_id = addressed_to.organisation_id, addressed_to.id
    organisation = organisations.get(organisation_id, lock=True)
    policy.forget_roles()  # the lock may have waited for a membership change
    invitation = db.session.get(OrganisationInvitation, invitation_id, with_for_update=True, populate_existing=True)
    _require_pending(invitation)
    if invitation.expires_at <= clock.now():
        raise Conflict(_("This invitation has expired: ask the organisation for a new one."))
    return organisation, invitation


def _require_pending(invitation: OrganisationInvitation) -> None:
    if invitation.status is not PENDING:
        raise Conflict(_("This invitation is already %(status)s.", status=invitation.status.value))


def _answer(actor: User, invitation: OrganisationInvitation, status, now) -> None:
    invitation.status, invitation.answered_by, invitation.answered_at = status, actor.id, now


def _owner_ids(organisation_id: int) -> set[int]:
    return set(db.session.scalars(select(Membership.user_id).where(
        Membership.organisation_id == organisation_id, Membership.role == Role.OWNER)))


def mine(actor: User, limit: int, cursor: str | None) -> pagination.Page:
    """The actor's pending team invitations and live organisation invitations to their verified address, newest
    first."""
    teams = select(literal(TEAM, Integer).label("kind"), Invitation.id.label("id"),
                   Invitation.created_at.label("created_at")).where(
        Invitation.user_id == actor.id, Invitation.status == InvitationStatus.PENDING)
    organisation = select(literal(ORGANISATION, Integer).label("kind"), OrganisationInvitation.id.label("id"),
                          OrganisationInvitation.created_at.label("created_at")).where(
        OrganisationInvitation.email == actor.email, OrganisationInvitation.status == PENDING,
        OrganisationInvitation.expires_at > clock.now(), true() if actor.email_verified else false())
    both = union_all(teams, organisation).subquery("invitations")
    keys = [both.c.created_at, both.c.kind, both.c.id]
    page = pagination.paginate(select(both), keys, limit, cursor, descending=True)
    page.items = _loaded(page.items)
    return page


def _loaded(rows) -> list[MyInvitation]:
    """The invitations of a page's rows, two queries whatever its size."""
    ids = {kind: [row.id for row in rows if row.kind == kind] for kind in (TEAM, ORGANISATION)}
    teams = {i.id: i for i in db.session.scalars(select(Invitation).where(Invitation.id.in_(ids[TEAM])))}
    others = {i.id: i for i in db.session.scalars(select(OrganisationInvitation).where(
        OrganisationInvitation.id.in_(ids[ORGANISATION])))}
    return [MyInvitation("team", team_invitation=teams[row.id]) if row.kind == TEAM
            else MyInvitation("organisation", organisation_invitation=others[row.id]) for row in rows]


def email_invitation(invitation_id: int, sealed: str, locale: str, attempt: int = 1) -> None:
    """Email an invitation's link while it is live; a failed attempt is retried like a notification's email."""
    invitation = db.session.get(OrganisationInvitation, invitation_id)
    if invitation is None or invitation.status is not PENDING or invitation.expires_at <= clock.now():
        return
    account_links.deliver_while_live(compose(invitation, unseal(sealed), locale), invitation.expires_at, attempt,
                                     email_invitation, invitation_id, sealed, locale)


def _shown_name(organisation: Organisation) -> str:
    """The organisation's name, or "Organisation <id>" while it is held or hidden: no spam goes out in its name."""
    return organisations.OrganisationView(organisation, masked=organisation.moderation is not Moderation.VISIBLE).name


def compose(invitation: OrganisationInvitation, raw: str, locale: str) -> EmailMessage:
    """The email that carries an invitation's link, in the given language."""
    url = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/{PAGE}#token={raw}"
    name = " ".join(_shown_name(invitation.organisation).split())  # headers hold one line
    with force_locale(locale):
        message = EmailMessage()
        message["From"] = current_app.config["SMTP_FROM"]
        message["To"] = invitation.email
        message["Subject"] = _("You are invited to join %(organisation)s", organisation=name)
        role = {Role.OWNER: _("owner"), Role.MANAGER: _("manager"), Role.JUDGE: _("judge")}[invitation.role]
        lines = [_("Hello,"), "",
                 _("You are invited to join the organisation %(organisation)s as %(role)s. Sign in (or sign up) with "
                   "this address, verify it, and open this link within 14 days to accept or decline:",
                   organisation=name, role=role), "", url, "",
                 _("If you did not expect this, ignore this email."), "", _("Token: %(token)s", token=raw)]
        message.set_content("\n".join(lines))
        message["Content-Language"] = locale  # after set_content, which drops the Content-* headers
    return message
