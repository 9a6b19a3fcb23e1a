"""Membership by invitation: owners invite by email; the invitee accepts or declines with the emailed link."""
from challenges.api import limits
from challenges.api.blueprint import Blueprint, no_body
from challenges.api.guards import guard, guard_path
from challenges.api.idempotent import idempotent
from challenges.auth import current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.organisations import (
    CreatedInvitationOut, MyInvitationOut, OrganisationInvitationIn, OrganisationInvitationOut,
)
from challenges.services import organisation_invitations, organisations

bp = Blueprint("organisation_invitations", __name__, url_prefix="/api/v1",
               description="Invitations to join an organisation, and the caller's pending invitations.")


@bp.post("/organisations/<id:organisation_id>/invitations")
@limits.invite
@login_required
@guard(organisations.owned)
@idempotent
@bp.arguments(OrganisationInvitationIn)
@bp.response(201, CreatedInvitationOut)
def invite(data, organisation_id):
    """Invite an email address to a role, by an emailed link (owners; RATELIMIT_INVITE); 409 if member or invited."""
    return organisation_invitations.invite(current_user(), organisation_id, **data)


@bp.get("/organisations/<id:organisation_id>/invitations")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(OrganisationInvitationOut))
def list_invitations(args, organisation_id):
    """The organisation's pending invitations that have not expired, newest first (owners)."""
    return organisation_invitations.pending_of(current_user(), organisation_id, **args)


@bp.delete("/organisations/<id:organisation_id>/invitations/<id:invitation_id>")
@login_required
@bp.response(204)
def revoke_invitation(organisation_id, invitation_id):
    """Revoke a pending invitation (owners): its link stops working; 409 once answered."""
    organisation_invitations.revoke(current_user(), organisation_id, invitation_id)


@bp.post("/organisation-invitations/<string(maxlength=128):token>/accept")
@login_required
@guard_path(organisation_invitations.addressed)
@no_body(bp)
@bp.response(200, OrganisationInvitationOut)
def accept_invitation(_body, token):
    """Join the organisation with the invited role (the holder of the verified address); 409 while competing."""
    return organisation_invitations.accept(current_user(), token)


@bp.post("/organisation-invitations/<string(maxlength=128):token>/decline")
@login_required
@guard_path(organisation_invitations.addressed)
@no_body(bp)
@bp.response(200, OrganisationInvitationOut)
def decline_invitation(_body, token):
    """Turn an invitation down (the holder of the verified address it was sent to)."""
    return organisation_invitations.decline(current_user(), token)


@bp.get("/me/invitations")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(MyInvitationOut))
def my_invitations(args):
    """The caller's pending team invitations and live organisation invitations to their verified email, newest first."""
    return organisation_invitations.mine(current_user(), **args)
