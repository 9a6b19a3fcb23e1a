"""Leaderboards: the members' ranking of a judged challenge; the public and private boards of a scored one."""
from challenges.api.blueprint import Blueprint
from challenges.auth import authenticated, current_user
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.judging import LeaderboardArgs, LeaderboardEntryOut
from challenges.services import leaderboards

bp = Blueprint("leaderboards", __name__, url_prefix="/api/v1", description="Leaderboards.")


class LeaderboardQuery(LeaderboardArgs, PageArgs):
    """Paging and the board to show."""


@bp.get("/challenges/<id:challenge_id>/leaderboard")
@authenticated
@bp.arguments(LeaderboardQuery, location="query")
@bp.response(200, page_of(LeaderboardEntryOut))
def leaderboard(args, challenge_id):
    """Judged: members' ranking by reviews. Scored: ?board=public (all) or private (after the deadline)."""
    return leaderboards.board(current_user(), challenge_id, **args)
