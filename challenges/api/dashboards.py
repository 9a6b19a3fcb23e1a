"""The signed-in user's dashboards: their submissions in every challenge, and the prizes they won."""
from challenges.api.blueprint import Blueprint
from challenges.auth import current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.dashboards import MyAwardOut, MySubmissionsArgs
from challenges.schemas.submissions import SubmissionOut
from challenges.services import dashboards

bp = Blueprint("dashboards", __name__, url_prefix="/api/v1", description="The signed-in user's own lists.")


@bp.get("/me/submissions")
@login_required
@bp.arguments(MySubmissionsArgs, location="query")
@bp.response(200, page_of(SubmissionOut))
def my_submissions(args):
    """The caller's submissions and their teams', newest first, in every challenge."""
    return dashboards.submissions(current_user(), **args)


@bp.get("/me/awards")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(MyAwardOut))
def my_awards(args):
    """The prizes the caller won, alone or with a team, with their payout, once the results are final."""
    return dashboards.awards(current_user(), **args)
