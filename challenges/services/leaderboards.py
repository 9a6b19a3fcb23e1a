"""Rankings: the members' leaderboard of a judged challenge, the boards of a scored one, where a submission stands."""
import statistics
from dataclasses import dataclass

from sqlalchemy import func, literal, select, tuple_

from challenges import pagination
from challenges.errors import Conflict, Unauthorized
from challenges.extensions import db
from challenges.models import (
    Board, BoardEntry, Challenge, Evaluation, Moderation, Phase, Review, Status, Submission, SubmissionStatus, Team,
    User,
)
from challenges.services import challenges, policy

DIGITS = 9  # scores are compared to this precision: beyond it, differences are floating-point noise
RANK_ORDER = [BoardEntry.rank_key, BoardEntry.submitted_at, BoardEntry.submission_id]  # best first, then earliest


@dataclass
class Standing:
    """A submission's place on the members' leaderboard."""

    rank: int | None
    submission: Submission
    score: float | None
    reviews: int
    disagreement: bool

    @property
    def shortlisted(self) -> bool:
        """Whether managers shortlisted the submission."""
        return self.submission.shortlisted


def board(actor: User | None, challenge_id: int, *, board: str, limit: int, cursor: str | None) -> pagination.Page:
    """The members' ranking of a judged challenge, or a scored challenge's public or private board."""
    challenge = challenges.visible(actor, challenge_id)
    if challenge.evaluation is Evaluation.JUDGED:
        if actor is None:
            raise Unauthorized("Sign in: the leaderboard of a judged challenge is for its organisation's members.")
        policy.require_member(actor, challenge.organisation_id)
        return pagination.paginate_computed(ranking(challenge), limit, cursor, "judged-leaderboard")
    return scored_board(actor, challenge, Board(board), limit, cursor)


def ranking(challenge: Challenge) -> list[Standing]:
    """Active submissions by score (unreviewed last, unranked); ties go to the earliest submission."""
    active = db.session.scalars(select(Submission).where(
        Submission.challenge_id == challenge.id, Submission.status == SubmissionStatus.SUBMITTED,
        Submission.moderation == Moderation.VISIBLE)).all()
    reviews = db.session.execute(select(Review.submission_id, Review.judge_id, Review.weighted_score)
                                 .join(Submission, Submission.id == Review.submission_id)
                                 .where(Review.challenge_id == challenge.id,
                                        Submission.status == SubmissionStatus.SUBMITTED)).all()
    settings = challenge.judging
    scores = _normalised(reviews) if settings["normalise"] else {(s, j): w for s, j, w in reviews}
    by_submission: dict[int, list] = {}
    for submission_id, judge_id, weighted in reviews:
        by_submission.setdefault(submission_id, []).append((weighted, scores[submission_id, judge_id]))
    standings = [_standing(submission, by_submission.get(submission.id, []), settings["disagreement_threshold"])
                 for submission in active]
    standings.sort(key=lambda s: (s.score is None, -(s.score or 0), s.submission.submitted_at, s.submission.id))
    for rank, standing in enumerate(standings, start=1):
        standing.rank = rank if standing.score is not None else None
    return standings


def _standing(submission: Submission, reviews: list[tuple[float, float]], threshold: float) -> Standing:
    raw = [weighted for weighted, _ in reviews]
    # Rounded so that equal marks reached by different sums tie, and a spread equal to the threshold is no excess.
    score = round(statistics.fmean(counted for _, counted in reviews), DIGITS) if reviews else None
    spread = round(max(raw) - min(raw), DIGITS) if raw else 0
    return Standing(None, submission, score, len(reviews), spread > threshold)


def _normalised(reviews) -> dict[tuple[int, int], float]:
    """Each judge's weighted scores as z-scores over that judge's reviews (0 when they do not vary)."""
    by_judge: dict[int, list[float]] = {}
    for _, judge_id, weighted in reviews:
        by_judge.setdefault(judge_id, []).append(weighted)
    spread = {judge: (statistics.fmean(values), statistics.pstdev(values)) for judge, values in by_judge.items()}
    return {(submission_id, judge_id): (weighted - spread[judge_id][0]) / spread[judge_id][1]
            if spread[judge_id][1] else 0.0 for submission_id, judge_id, weighted in reviews}


def standing_of(challenge: Challenge, submission_id: int) -> tuple[int | None, float | None]:
    """A submission's rank and score on the leaderboard that decides awards; (None, None) when unranked."""
    if challenge.evaluation is Evaluation.JUDGED:
        board = ranking(challenge)
        found = next((s for s in board if s.submission.id == submission_id), None)
        return (found.rank, found.score) if found else (None, None)
    entry = db.session.scalar(select(BoardEntry).where(
        _ranked(challenge.id, Board.PRIVATE), BoardEntry.submission_id == submission_id))
    return (_rank(entry), entry.score) if entry else (None, None)


def scored_board(actor: User | None, challenge: Challenge, board: Board, limit: int,
                 cursor: str | None) -> pagination.Page:
    """Best public score per entrant; or, on the private board, the best of their counted submissions."""
    if board is Board.PRIVATE:
        _require_private_visible(actor, challenge)
    ranked = _ranked(challenge.id, board)
    # The entries before the cursor are counted in the page's own statement, on the board's index.
    ahead = select(func.count()).select_from(BoardEntry).where(
        ranked, tuple_(*RANK_ORDER) <= tuple_(*pagination.position(RANK_ORDER, cursor))).scalar_subquery() \
        if cursor else literal(0)
    query = select(*RANK_ORDER, BoardEntry.score, BoardEntry.participant_id, User.display_name, BoardEntry.team_id,
                   Team.name.label("team_name"), ahead.label("ahead")) \
        .join(User, User.id == BoardEntry.participant_id).outerjoin(Team, Team.id == BoardEntry.team_id).where(ranked)
    page = pagination.paginate(query, RANK_ORDER, limit, cursor)
    page.items = [{"rank": row.ahead + n, "participant": {"id": row.participant_id, "display_name": row.display_name},
                   "team": {"id": row.team_id, "name": row.team_name} if row.team_id else None,
                   "submission_id": row.submission_id, "score": row.score, "submitted_at": row.submitted_at}
                  for n, row in enumerate(page.items, start=1)]
    return page


def _ranked(challenge_id: int, board: Board):
    """The condition selecting the entrants ranked on a board (those with a counted submission)."""
    return (BoardEntry.challenge_id == challenge_id) & (BoardEntry.board == board) & BoardEntry.rank_key.is_not(None)


def _rank(entry: BoardEntry) -> int:
    """One more than the entries ahead of it, counted on the board's index (no submission is read)."""
    ahead = tuple_(*RANK_ORDER) < tuple_(*[literal(getattr(entry, key.key), key.type) for key in RANK_ORDER])
    return 1 + db.session.scalar(select(func.count()).select_from(BoardEntry).where(
        _ranked(entry.challenge_id, entry.board), ahead))


def _require_private_visible(actor: User | None, challenge: Challenge) -> None:
    """Members after the deadline; everyone once finalised."""
    if challenge.status is Status.FINALISED:
        return
    policy.visible_or_404(policy.is_member(actor, challenge.organisation_id), "private leaderboard")
    if challenge.phase is not Phase.CLOSED:
        raise Conflict("The private leaderboard opens after the deadline.")
