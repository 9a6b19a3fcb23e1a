"""In-app notifications (the email preference is a setting of `PATCH /me`)."""
from challenges.api.blueprint import Blueprint, no_body

from challenges.api.guards import guard
from challenges.auth import current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.notifications import NotificationOut
from challenges.services import notifications

bp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications.")


@bp.get("/notifications")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(NotificationOut))
def list_notifications(args):
    """The caller's notifications, newest first."""
    return notifications.for_user(current_user(), **args)


@bp.post("/notifications/<id:notification_id>/read")
@login_required
@guard(notifications.own)
@no_body(bp)
@bp.response(200, NotificationOut)
def read_notification(_body, notification_id):
    """Mark a notification read."""
    return notifications.mark_read(current_user(), notification_id)
