"""Organisations, their members and their audit log."""
from challenges.api.blueprint import Blueprint

from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.organisations import (
    AuditEntryOut, MemberOut, OrganisationIn, OrganisationOut, OrganisationPatch, RoleIn,
)
from challenges.services import audit, organisations

bp = Blueprint("organisations", __name__, url_prefix="/api/v1/organisations",
               description="Organisations, members and the audit log.")


@bp.post("")
@login_required
@idempotent
@bp.arguments(OrganisationIn)
@bp.response(201, OrganisationOut)
def create_organisation(data):
    """Create an organisation; the caller becomes its owner."""
    return organisations.create(current_user(), **data)


@bp.get("/<id:organisation_id>")
@authenticated
@bp.response(200, OrganisationOut)
def get_organisation(organisation_id):
    """An organisation; while held or hidden, its name and words only for its members."""
    return organisations.read(current_user(), organisation_id)


@bp.patch("/<id:organisation_id>")
@login_required
@guard(organisations.managed)
@bp.arguments(OrganisationPatch(partial=True))
@bp.response(200, OrganisationOut)
def update_organisation(data, organisation_id):
    """Change an organisation (owners, managers)."""
    return organisations.update(current_user(), organisation_id, **data)


@bp.get("/<id:organisation_id>/members")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(MemberOut))
def list_members(args, organisation_id):
    """The organisation's members (members only)."""
    return organisations.members(current_user(), organisation_id, **args)


@bp.put("/<id:organisation_id>/members/<id:user_id>")
@login_required
@guard(organisations.owned)
@bp.arguments(RoleIn)
@bp.response(200, MemberOut)
def set_member(data, organisation_id, user_id):
    """Change a member's role (owners); never while they compete (409); newcomers are invited instead (409)."""
    return organisations.set_member(current_user(), organisation_id, user_id, **data)


@bp.delete("/<id:organisation_id>/members/<id:user_id>")
@login_required
@bp.response(204)
def remove_member(organisation_id, user_id):
    """Remove a member (owners); the last owner cannot be removed."""
    organisations.remove_member(current_user(), organisation_id, user_id)


@bp.get("/<id:organisation_id>/audit")
@login_required
@guard(organisations.managed)
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(AuditEntryOut))
def audit_log(args, organisation_id):
    """The organisation's audit log, newest first (owners, managers)."""
    return audit.for_organisation(current_user(), organisation_id, **args)
