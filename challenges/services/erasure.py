"""Erasing an account at its owner's request: personal data removed or replaced, records others need kept."""
import logging
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from challenges import clock, i18n, jobs
from challenges.errors import Conflict, Unauthorized
from challenges.extensions import db
from challenges.models import (
    AccountToken, IdempotencyRecord, Invitation, InvitationStatus, Membership, Notification,
    OrganisationInvitation, OrganisationInvitationStatus, Role, SignInAddress, User,
)
from challenges.services import account_links, accounts, audit, notifications, organisations, teams
from challenges.services.secrets import seal, unseal

ERASED_NAME = "Deleted user"
log = logging.getLogger(__name__)


def placeholder_email(user_id: int) -> str:
    """What stands in the email column of an erased account: unique, and never an address (no @), so nobody
    signs in with it, is sent anything, or is stopped from registering their address anew."""
    return f"erased-user-{user_id}"


def erase(actor: User, current_password: str) -> None:
    """Erase the actor's account (GDPR art. 17): 422 for a wrong password, 409 while they are the last owner of
    an organisation. What is removed and what is kept, and why, is written in docs/privacy.md."""
    accounts.require_password(actor, current_password)
    # Told to a verified address only: an unverified one may not be the holder's.
    # The address and the name travel sealed: a queued job's arguments sit in Redis, and a failed job's are logged.
    notice = (seal(actor.email), seal(actor.display_name), actor.locale or i18n.current()) \
        if actor.email_verified else None
    # Locks in the service's order (docs/architecture.md): organisations, teams, the account's link rows, then the
    # account's own row, which a second erasure of the same account is refused on.
    _leave_organisations(actor)
    teams.leave_forming_teams(actor)
    _remove_personal_rows(actor)
    _lock_unerased(actor)
    _anonymise(actor)
    audit.record(actor, "user.erased", actor, None)
    db.session.commit()
    if notice and account_links.mailing():
        jobs.enqueue(email_notice, *notice)


def _leave_organisations(actor: User) -> None:
    """Drop the actor's roles, each organisation locked in id order (as role changes lock it); 409, naming the
    organisation, where they are its last owner."""
    member_of = select(Membership.organisation_id).where(Membership.user_id == actor.id)
    for organisation_id in sorted(db.session.scalars(member_of)):
        organisation = organisations.get(organisation_id, lock=True)
        role = db.session.scalar(select(Membership.role).where(  # read again: it may have changed while we waited
            Membership.organisation_id == organisation_id, Membership.user_id == actor.id))
        if role is Role.OWNER and organisations.owner_count(organisation_id) == 1:
            raise Conflict(_('You are the last owner of the organisation #%(id)s "%(name)s": make someone else '
                             'its owner before deleting your account.',
                             id=organisation.id, name=organisation.name))
        if role is not None:
            audit.record(actor, "member.removed", organisation, organisation_id, user_id=actor.id, role=role,
                         reason="account erased")
    db.session.execute(delete(Membership).where(Membership.user_id == actor.id).execution_options(
        synchronize_session=False))


def _remove_personal_rows(actor: User) -> None:
    """Delete what concerns the actor alone: notifications, links sent by email, sign-in addresses, stored
    answers of retried requests, and pending invitations to teams and organisations; answered invitations to
    organisations keep their record without the address."""
    for model in (Notification, AccountToken, SignInAddress, IdempotencyRecord):
        db.session.execute(delete(model).where(model.user_id == actor.id).execution_options(
            synchronize_session=False))
    db.session.execute(delete(Invitation).where(
        Invitation.user_id == actor.id, Invitation.status == InvitationStatus.PENDING).execution_options(
        synchronize_session=False))
    addressed = OrganisationInvitation.email == actor.email
    db.session.execute(delete(OrganisationInvitation).where(
        addressed, OrganisationInvitation.status == OrganisationInvitationStatus.PENDING).execution_options(
        synchronize_session=False))
    db.session.execute(update(OrganisationInvitation).where(addressed).values(email=placeholder_email(actor.id))
                       .execution_options(synchronize_session=False))


def _lock_unerased(actor: User) -> None:
    """Lock the account's row (NO KEY UPDATE: submissions being written, whose foreign key takes a key-share lock
    on it, pass) and read it again; 401 when an erasure that ran meanwhile has already ended it."""
    db.session.refresh(actor, with_for_update={"key_share": True})
    if actor.erased_at is not None:
        raise Unauthorized(_("The token is invalid, expired or revoked."))


def _anonymise(actor: User) -> None:
    """Replace the profile by placeholders and revoke every token: the account can never sign in again."""
    accounts.revoke_all_tokens(actor)
    actor.email, actor.pending_email = placeholder_email(actor.id), None
    actor.display_name, actor.password_hash = ERASED_NAME, None
    actor.locale = actor.time_zone = actor.suspension_reason = None
    actor.email_notifications, actor.is_admin = False, False
    actor.erased_at = clock.now()


def email_notice(sealed_email: str, sealed_name: str, locale: str) -> None:
    """Tell the former holder that their account is erased; one attempt, as the address is kept nowhere to retry
    from."""
    error = notifications.deliver(compose_notice(unseal(sealed_email), unseal(sealed_name), locale))
    if error is not None:
        log.warning("the notice of an account erasure was not sent: %s", error)


def compose_notice(email: str, name: str, locale: str) -> EmailMessage:
    """The email that confirms an erasure, in the given language."""
    with force_locale(locale):
        message = EmailMessage()
        message["From"] = current_app.config["SMTP_FROM"]
        message["To"] = email
        message["Subject"] = _("Your account has been deleted")
        message.set_content("\n".join([
            _("Hello %(name)s,", name=name), "",
            _("Your account and the personal data it held have been erased, as you asked. What you submitted stays "
              "in the records of the organisations that ran the challenges, under the name \"Deleted user\"."), "",
            _("If you did not ask for this, tell the platform's operators at once: someone knew your password.")]))
        message["Content-Language"] = locale  # after set_content, which drops the Content-* headers
    return message
