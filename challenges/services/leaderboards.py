"""Rankings: the members' leaderboard of a judged challenge, the boards of a scored one, where a submission stands."""
import statistics
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from challenges import pagination
from challenges.errors import Conflict, Unauthorized
from challenges.extensions import db
from challenges.models import (
    Challenge, Evaluation, EvaluationStatus, Moderation, Phase, Review, Status, Submission, SubmissionStatus, User,
)
from challenges.services import challenges, policy, scoring

DIGITS = 9  # scores are compared to this precision: beyond it, differences are floating-point noise


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
    return pagination.paginate_computed(scored_board(actor, challenge, board), limit, cursor, f"{board}-leaderboard")


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
    found = next((e for e in scored_ranking(challenge, "private") if e["submission_id"] == submission_id), None)
    return (found["rank"], found["score"]) if found else (None, None)


def scored_board(actor: User | None, challenge: Challenge, board: str) -> list[dict]:
    """Best public score per participant; or, on the private board, the best of their counted submissions."""
    if board == "private":
        _require_private_visible(actor, challenge)
    return scored_ranking(challenge, board)


def scored_ranking(challenge: Challenge, board: str) -> list[dict]:
    """The public or private ranking of a scored challenge, whoever asks."""
    rows = db.session.scalars(select(Submission).options(
        selectinload(Submission.participant), selectinload(Submission.team)).where(
        Submission.challenge_id == challenge.id, Submission.status == SubmissionStatus.SUBMITTED,
        Submission.evaluation_status == EvaluationStatus.SCORED, Submission.moderation == Moderation.VISIBLE)).all()
    better = scoring.metric_of(challenge).higher_is_better
    by_participant: dict[tuple, list[Submission]] = {}
    for submission in rows:  # a team is one entrant
        entrant = ("team", submission.team_id) if submission.team_id else ("user", submission.participant_id)
        by_participant.setdefault(entrant, []).append(submission)
    score_of = (lambda s: s.private_score) if board == "private" else (lambda s: s.public_score)
    limit = challenge.scoring["final_selection_limit"]
    best = []
    for entries in by_participant.values():
        counted = _counted(entries, better, limit) if board == "private" else entries
        best.append(min(counted, key=lambda s: _order(score_of(s), better, s)))
    best.sort(key=lambda s: _order(score_of(s), better, s))
    return [{"rank": rank, "participant": s.participant, "team": s.team, "submission_id": s.id, "score": score_of(s),
             "submitted_at": s.submitted_at} for rank, s in enumerate(best, start=1)]


def _order(score: float, higher_is_better: bool, submission: Submission) -> tuple:
    """Best score first; ties go to the earliest submission."""
    return (-score if higher_is_better else score, submission.submitted_at, submission.id)


def _counted(entries: list[Submission], higher_is_better: bool, limit: int) -> list[Submission]:
    """The participant's selection, or their best public submissions up to the limit when they chose none."""
    selected = [s for s in entries if s.selected]
    by_public = sorted(selected or entries, key=lambda s: _order(s.public_score, higher_is_better, s))
    return by_public[:limit]  # never more than the limit, whatever was selected


def _require_private_visible(actor: User | None, challenge: Challenge) -> None:
    """Members after the deadline; everyone once finalised."""
    if challenge.status is Status.FINALISED:
        return
    policy.visible_or_404(policy.is_member(actor, challenge.organisation_id), "private leaderboard")
    if challenge.phase is not Phase.CLOSED:
        raise Conflict("The private leaderboard opens after the deadline.")
