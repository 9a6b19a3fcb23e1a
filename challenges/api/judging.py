"""Judging: the rubric, judges' assignments, reviews, conflicts of interest, the shortlist and score sheet."""
from flask import Response, stream_with_context

from challenges.api.blueprint import Blueprint, no_body
from challenges.api.guards import guard
from challenges.auth import current_user, login_required
from challenges.schemas.common import PageArgs, ReasonIn, page_of
from challenges.schemas.judging import (
    AssignIn, AssignmentOut, ConflictOut, CriterionIn, CriterionOut, ReviewIn, ReviewOut,
)
from challenges.schemas.submissions import SubmissionOut
from challenges.services import challenges, judging, rubric, score_sheets, submissions
from challenges.pagination import Page

bp = Blueprint("judging", __name__, url_prefix="/api/v1", description="Judging by panels against a rubric.")


@bp.get("/challenges/<id:challenge_id>/criteria")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(CriterionOut))
def list_criteria(args, challenge_id):
    """The rubric of a judged challenge, for the organisation's members."""
    return rubric.page(current_user(), challenge_id, **args)


@bp.put("/challenges/<id:challenge_id>/criteria")
@login_required
@guard(challenges.manageable)
@bp.arguments(CriterionIn(many=True))
@bp.response(200, page_of(CriterionOut))
def replace_criteria(items, challenge_id):
    """Replace the whole rubric until the challenge closes (existing criteria by id)."""
    return Page(rubric.replace(current_user(), challenge_id, items), None)


@bp.post("/challenges/<id:challenge_id>/assignments")
@login_required
@guard(challenges.manageable)
@bp.arguments(AssignIn)
@bp.response(200, page_of(AssignmentOut))
def assign(data, challenge_id):
    """Assign judges round-robin, balancing their load; replaces the earlier assignment."""
    judging.assign(current_user(), challenge_id, data["judges_per_submission"])
    return judging.assignments(current_user(), challenge_id, limit=100, cursor=None)


@bp.get("/challenges/<id:challenge_id>/assignments")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(AssignmentOut))
def list_assignments(args, challenge_id):
    """Every assignment for owners and managers; a judge's own for a judge."""
    return judging.assignments(current_user(), challenge_id, **args)


@bp.put("/submissions/<id:submission_id>/review")
@login_required
@guard(judging.reviewable)
@bp.arguments(ReviewIn)
@bp.response(200, ReviewOut)
def review(data, submission_id):
    """Score a submission on every criterion, after the deadline and before finalisation."""
    return judging.review(current_user(), submission_id, **data)


@bp.get("/submissions/<id:submission_id>/reviews")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(ReviewOut))
def list_reviews(args, submission_id):
    """A submission's reviews: all for owners and managers, a judge's own for a judge."""
    return judging.reviews(current_user(), submission_id, **args)


@bp.post("/submissions/<id:submission_id>/conflict")
@login_required
@guard(judging.judgeable)
@bp.arguments(ReasonIn)
@bp.response(200, ConflictOut)
def declare_conflict(data, submission_id):
    """Declare a conflict of interest: the judge is excluded from this submission."""
    return judging.declare_conflict(current_user(), submission_id, data["reason"])


@bp.put("/submissions/<id:submission_id>/shortlist")
@login_required
@guard(submissions.managed)
@no_body(bp)
@bp.response(200, SubmissionOut)
def shortlist(_body, submission_id):
    """Put a submission on the shortlist (owners, managers; before finalisation)."""
    return judging.set_shortlisted(current_user(), submission_id, True)


@bp.delete("/submissions/<id:submission_id>/shortlist")
@login_required
@bp.response(204)
def unshortlist(submission_id):
    """Take a submission off the shortlist."""
    judging.set_shortlisted(current_user(), submission_id, False)


@bp.get("/challenges/<id:challenge_id>/scores.csv")
@login_required
@bp.response(200, content_type="text/csv", description="One row per judge and submission.")
def score_sheet(challenge_id):
    """Every review as CSV, criteria as columns (owners, managers)."""
    challenge, lines = score_sheets.sheet(current_user(), challenge_id)
    headers = {"Content-Disposition": f'attachment; filename="challenge-{challenge.id}-scores.csv"'}
    return Response(stream_with_context(lines), mimetype="text/csv", headers=headers)
