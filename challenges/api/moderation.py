"""Moderation: flags from everyone; the queue, decisions and suspensions for platform admins."""
from functools import wraps

from challenges.api.blueprint import Blueprint
from challenges.api.guards import guard, guard_path
from challenges.auth import current_user, login_required
from challenges.models import ObjectType
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.moderation import (
    CaseOut, DecisionIn, DecisionOut, FlagIn, FlagOut, SuspendedUserOut, SuspensionIn,
)
from challenges.services import moderation

bp = Blueprint("moderation", __name__, url_prefix="/api/v1", description="Flags and moderation.")


def admin_only(view):
    """403 to anyone but platform admins, before the body or the query is read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        moderation.require_admin(current_user())
        return view(*args, **kwargs)

    return wrapper


@bp.post("/flags")
@login_required
@bp.arguments(FlagIn)
@bp.response(201, FlagOut)
def flag(data):
    """Flag content one can see, with a reason; flagging it again returns the first flag."""
    return moderation.flag(current_user(), **data)


@bp.get("/admin/moderation")
@login_required
@admin_only
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(CaseOut))
def moderation_queue(args):
    """Held and flagged content, oldest first (platform admins)."""
    return moderation.queue(current_user(), **args)


@bp.post("/admin/moderation/<any(challenge,submission,question,answer,organisation,team):object_type>/<id:object_id>")
@login_required
@admin_only
@guard_path(lambda actor, object_type, object_id: moderation.decidable(actor, ObjectType(object_type), object_id))
@bp.arguments(DecisionIn)
@bp.response(200, DecisionOut)
def decide(data, object_type, object_id):
    """Approve, hide or restore content (platform admins); audited."""
    return moderation.decide(current_user(), ObjectType(object_type), object_id, **data)


@bp.post("/admin/users/<id:user_id>/suspend")
@login_required
@admin_only
@guard(moderation.suspendable)
@bp.arguments(SuspensionIn)
@bp.response(200, SuspendedUserOut)
def suspend(data, user_id):
    """Suspend a user: no sign-in, and their tokens stop working at once (platform admins)."""
    return moderation.suspend(current_user(), user_id, data["reason"])


@bp.delete("/admin/users/<id:user_id>/suspend")
@login_required
@bp.response(204)
def unsuspend(user_id):
    """Lift a suspension (platform admins)."""
    moderation.unsuspend(current_user(), user_id)
