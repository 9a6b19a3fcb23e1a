"""The score sheet of a judged challenge: every review as a CSV row, streamed."""
import csv
import io
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import aliased

from challenges.extensions import db
from challenges.models import Challenge, Review, Submission, User
from challenges.services import challenges, rubric

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def sheet(actor: User, challenge_id: int) -> tuple[Challenge, Iterator[str]]:
    """Owners and managers: one row per judge and submission, criteria as columns."""
    challenge = challenges.manageable(actor, challenge_id)
    rubric.require_judged(challenge)
    return challenge, _rows(challenge, rubric.criteria_of(challenge.id))


def _rows(challenge: Challenge, criteria: list) -> Iterator[str]:
    yield line(["submission_id", "submission_title", "participant_id", "participant", "status", "judge_id",
                 "judge", *(criterion.name for criterion in criteria), "weighted_score", "comment", "updated_at"])
    author, judge = aliased(User), aliased(User)
    query = (select(Review, Submission, author, judge)
             .join(Submission, Submission.id == Review.submission_id)
             .join(author, author.id == Submission.participant_id)
             .join(judge, judge.id == Review.judge_id)
             .where(Review.challenge_id == challenge.id)
             .order_by(Review.submission_id, Review.judge_id)
             .execution_options(yield_per=500))
    for review, submission, participant, reviewer in db.session.execute(query):
        yield line([submission.id, submission.title, participant.id, participant.display_name, submission.status,
                     reviewer.id, reviewer.display_name, *(review.scores.get(str(c.id)) for c in criteria),
                     round(review.weighted_score, 6), review.comment, review.updated_at.isoformat()])


def line(cells: list) -> str:
    """One CSV row, with cells that would run as formulas made harmless."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_safe(cell) for cell in cells])
    return buffer.getvalue()


def _safe(cell):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
