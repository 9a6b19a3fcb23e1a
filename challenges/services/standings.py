"""The judges' verdict kept on each submission of a judged challenge, refreshed in the transaction that changes it.

The leaderboard then reads ranked rows from an index instead of every review. Not committed: the caller commits.
"""
import statistics
from collections.abc import Iterable

from sqlalchemy import select, update

from challenges.extensions import db
from challenges.models import Challenge, Review, Submission, SubmissionStatus
from challenges.models.submissions import UNREVIEWED

DIGITS = 9  # scores are compared to this precision: beyond it, differences are floating-point noise


def after_review(challenge: Challenge, submission_id: int) -> None:
    """Refresh what a review written or withdrawn changes: its submission, or, when each judge's marks are
    normalised, every submission (that judge's scale moved every mark they gave)."""
    _refresh(challenge, None if _normalised(challenge) else [submission_id])


def after_leaving(challenge: Challenge) -> None:
    """A submission left the ranking: with normalisation, its judges' scales, and so other scores, change."""
    if _normalised(challenge):
        _refresh(challenge, None)


def _normalised(challenge: Challenge) -> bool:
    return bool((challenge.judging or {}).get("normalise"))


def _refresh(challenge: Challenge, submission_ids: Iterable[int] | None) -> None:
    """Recompute the verdict of these submissions (None: of every reviewed one) from their reviews."""
    query = select(Review.submission_id, Review.judge_id, Review.weighted_score) \
        .join(Submission, Submission.id == Review.submission_id) \
        .where(Review.challenge_id == challenge.id, Submission.status == SubmissionStatus.SUBMITTED)
    if submission_ids is None:
        submission_ids = set(db.session.scalars(select(Submission.id).where(
            Submission.challenge_id == challenge.id, Submission.review_count > 0)))
    else:
        query = query.where(Review.submission_id.in_(submission_ids))
    reviews = db.session.execute(query).all()
    counted = _z_scores(reviews) if _normalised(challenge) else {(s, j): w for s, j, w in reviews}
    by_submission: dict[int, list[tuple[float, float]]] = {submission_id: [] for submission_id in submission_ids}
    for submission_id, judge_id, weighted in reviews:
        by_submission.setdefault(submission_id, []).append((weighted, counted[submission_id, judge_id]))
    if by_submission:
        db.session.execute(update(Submission), [_verdict(s, marks) for s, marks in by_submission.items()])


def _verdict(submission_id: int, marks: list[tuple[float, float]]) -> dict:
    """A submission's review columns from its (weighted, counted) marks."""
    if not marks:
        return {"id": submission_id, "review_count": 0, "review_score": None, "review_spread": 0.0,
                "review_order": UNREVIEWED}
    raw = [weighted for weighted, _ in marks]
    # Rounded so that equal marks reached by different sums tie, and a spread equal to the threshold is no excess.
    score = round(statistics.fmean(counted for _, counted in marks), DIGITS)
    return {"id": submission_id, "review_count": len(marks), "review_score": score,
            "review_spread": round(max(raw) - min(raw), DIGITS), "review_order": -score}


def _z_scores(reviews) -> dict[tuple[int, int], float]:
    """Each judge's weighted scores as z-scores over that judge's reviews (0 when they do not vary)."""
    by_judge: dict[int, list[float]] = {}
    for _, judge_id, weighted in reviews:
        by_judge.setdefault(judge_id, []).append(weighted)
    spread = {judge: (statistics.fmean(values), statistics.pstdev(values)) for judge, values in by_judge.items()}
    return {(submission_id, judge_id): (weighted - spread[judge_id][0]) / spread[judge_id][1]
            if spread[judge_id][1] else 0.0 for submission_id, judge_id, weighted in reviews}
