"""Rankings: the members' leaderboard of a judged challenge, the boards of a scored one, where a submission stands."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, literal, literal_column, select, tuple_
from sqlalchemy.orm import load_only

from challenges import pagination
from challenges.errors import Conflict, Unauthorized
from challenges.extensions import db
from challenges.models import Board, BoardEntry, Challenge, Evaluation, Phase, Status, Submission, Team, User
from challenges.services import challenges, policy

RANK_ORDER = [BoardEntry.rank_key, BoardEntry.submitted_at, BoardEntry.submission_id]  # best first, then earliest
JUDGED_ORDER = [Submission.review_order, Submission.submitted_at, Submission.id]  # best first, unreviewed last


@dataclass
class Standing:
    """A submission's place on the members' leaderboard."""

    rank: int | None
    submission: Submission

    @property
    def score(self) -> float | None:
        """The judges' mean mark, None while unreviewed."""
        return self.submission.review_score

    @property
    def reviews(self) -> int:
        """How many judges' reviews count."""
        return self.submission.review_count

    @property
    def disagreement(self) -> bool:
        """Whether the reviews' spread exceeds the challenge's threshold."""
        return self.submission.review_spread > self.submission.challenge.judging["disagreement_threshold"]

    @property
    def shortlisted(self) -> bool:
        """Whether managers shortlisted the submission."""
        return self.submission.shortlisted


def board(actor: User | None, challenge_id: int, *, board: str, limit: int, cursor: str | None) -> pagination.Page:
    """The members' ranking of a judged challenge, or a scored challenge's public or private board."""
    challenge = challenges.visible(actor, challenge_id)
    if challenge.evaluation is Evaluation.JUDGED:
        if actor is None:
            raise Unauthorized(_("Sign in: the leaderboard of a judged challenge is for its organisation's members."))
        policy.require_member(actor, challenge.organisation_id)
        return judged_board(challenge, limit, cursor)
    return scored_board(actor, challenge, Board(board), limit, cursor)


def judged_board(challenge: Challenge, limit: int, cursor: str | None) -> pagination.Page:
    """Active submissions by the judges' score (unreviewed last, unranked); ties go to the earliest submission."""
    query = select(Submission).where(judged_ranked(challenge.id)).options(load_only(
        Submission.id, Submission.challenge_id, Submission.title, Submission.shortlisted, Submission.submitted_at,
        Submission.review_count, Submission.review_score, Submission.review_spread, Submission.review_order))
    page, reached = pagination.paginate_ranked(query, JUDGED_ORDER, limit, cursor)
    page.items = [Standing(reached + n if submission.review_count else None, submission)
                  for n, submission in enumerate(page.items, start=1)]
    return page


def judged_ranked(challenge_id: int):
    """The condition selecting the submissions on a judged challenge's leaderboard (its index's own condition)."""
    # Spelled as the index's condition, in literals, so that even a plan made for any parameters can use it.
    return (Submission.challenge_id == challenge_id) & (Submission.status == literal_column("'submitted'")) \
        & (Submission.moderation == literal_column("'visible'"))


def standing_of(challenge: Challenge, submission_id: int) -> tuple[int | None, float | None]:
    """A submission's rank and score on the leaderboard that decides awards; (None, None) when unranked."""
    if challenge.evaluation is Evaluation.JUDGED:
        submission = db.session.scalar(select(Submission).where(
            judged_ranked(challenge.id), Submission.id == submission_id, Submission.review_count > 0))
        if submission is None:
            return None, None
        return 1 + _ahead(judged_ranked(challenge.id), JUDGED_ORDER, submission), submission.review_score
    entry = db.session.scalar(select(BoardEntry).where(
        _ranked(challenge.id, Board.PRIVATE), BoardEntry.submission_id == submission_id))
    return (1 + _ahead(_ranked(challenge.id, entry.board), RANK_ORDER, entry), entry.score) if entry else (None, None)


def _ahead(ranked, order: list, item) -> int:
    """How many ranked items come before this one, counted on the ranking's index."""
    position = [literal(getattr(item, key.key), key.type) for key in order]
    return db.session.scalar(select(func.count()).select_from(order[0].class_).where(
        ranked, tuple_(*order) < tuple_(*position)))


def scored_board(actor: User | None, challenge: Challenge, board: Board, limit: int,
                 cursor: str | None) -> pagination.Page:
    """Best public score per entrant; or, on the private board, the best of their counted submissions."""
    if board is Board.PRIVATE:
        _require_private_visible(actor, challenge)
    query = select(*RANK_ORDER, BoardEntry.score, BoardEntry.participant_id, User.display_name, BoardEntry.team_id,
                   Team.name.label("team_name")) \
        .join(User, User.id == BoardEntry.participant_id).outerjoin(Team, Team.id == BoardEntry.team_id) \
        .where(_ranked(challenge.id, board))
    page, reached = pagination.paginate_ranked(query, RANK_ORDER, limit, cursor)
    page.items = [{"rank": reached + n, "participant": {"id": row.participant_id, "display_name": row.display_name},
                   "team": {"id": row.team_id, "name": row.team_name} if row.team_id else None,
                   "submission_id": row.submission_id, "score": row.score, "submitted_at": row.submitted_at}
                  for n, row in enumerate(page.items, start=1)]
    return page


def _ranked(challenge_id: int, board: Board):
    """The condition selecting the entrants ranked on a board (those with a counted submission)."""
    return (BoardEntry.challenge_id == challenge_id) & (BoardEntry.board == board) & BoardEntry.rank_key.is_not(None)


def _require_private_visible(actor: User | None, challenge: Challenge) -> None:
    """Members after the deadline; everyone once finalised."""
    if challenge.status is Status.FINALISED:
        return
    policy.visible_or_404(policy.is_member(actor, challenge.organisation_id), "private leaderboard")
    if challenge.phase is not Phase.CLOSED:
        raise Conflict(_("The private leaderboard opens after the deadline."))
