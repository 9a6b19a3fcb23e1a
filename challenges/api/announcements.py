"""Announcements to a challenge's participants."""
from challenges.api.blueprint import Blueprint

from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.communication import AnnouncementIn, AnnouncementOut
from challenges.services import announcements, challenges

bp = Blueprint("announcements", __name__, url_prefix="/api/v1", description="Announcements.")


@bp.post("/challenges/<id:challenge_id>/announcements")
@login_required
@guard(challenges.manageable)
@idempotent
@bp.arguments(AnnouncementIn)
@bp.response(201, AnnouncementOut)
def post_announcement(data, challenge_id):
    """Post an update to everyone following a published challenge (owners, managers)."""
    return announcements.post(current_user(), challenge_id, **data)


@bp.get("/challenges/<id:challenge_id>/announcements")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(AnnouncementOut))
def list_announcements(args, challenge_id):
    """A challenge's announcements, newest first; deadline extensions and cancellations post their own."""
    return announcements.for_challenge(current_user(), challenge_id, **args)
