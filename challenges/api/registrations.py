"""Registrations: joining a challenge before submitting, and the organisation's approval."""
from challenges.api.blueprint import Blueprint, no_body
from challenges.api.guards import load
from challenges.api.idempotent import idempotent
from challenges.auth import current_user, login_required
from challenges.schemas.registrations import RefusalIn, RegistrationIn, RegistrationListArgs, RegistrationOut
from challenges.schemas.common import page_of
from challenges.services import registrations, submissions

bp = Blueprint("registrations", __name__, url_prefix="/api/v1/challenges", description="Registrations.")


@bp.post("/<id:challenge_id>/registration")
@login_required
@load(submissions.submittable, "challenge")
@idempotent
@bp.arguments(RegistrationIn)
@bp.response(201, RegistrationOut)
def register(data, challenge):
    """Register: accept the current terms and answer the form, without submitting (pending under approval)."""
    return registrations.register(current_user(), challenge, answers=data["answers"])


@bp.get("/<id:challenge_id>/registration")
@login_required
@bp.response(200, RegistrationOut)
def get_registration(challenge_id):
    """The caller's own registration; 404 when they have none."""
    return registrations.mine(current_user(), challenge_id)


@bp.delete("/<id:challenge_id>/registration")
@login_required
@bp.response(204)
def unregister(challenge_id):
    """Unregister, while no active submission of the caller's exists and they are in no team."""
    registrations.unregister(current_user(), challenge_id)


@bp.get("/<id:challenge_id>/registrations")
@login_required
@bp.arguments(RegistrationListArgs, location="query")
@bp.response(200, page_of(RegistrationOut))
def list_registrations(args, challenge_id):
    """A challenge's registrations with their answers, by registrant, filtered by status (owners, managers)."""
    return registrations.for_challenge(current_user(), challenge_id, **args)


@bp.post("/<id:challenge_id>/registrations/<id:user_id>/approve")
@login_required
@no_body(bp)
@bp.response(200, RegistrationOut)
def approve(_body, challenge_id, user_id):
    """Approve a pending registration (owners, managers); the registrant may then submit."""
    return registrations.decide(current_user(), challenge_id, user_id, approve=True)


@bp.post("/<id:challenge_id>/registrations/<id:user_id>/refuse")
@login_required
@bp.arguments(RefusalIn, required=False)
@bp.response(200, RegistrationOut)
def refuse(data, challenge_id, user_id):
    """Refuse a pending registration, with an optional reason told to the registrant (owners, managers)."""
    return registrations.decide(current_user(), challenge_id, user_id, approve=False, reason=(data or {}).get("reason"))
