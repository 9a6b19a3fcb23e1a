"""Submissions: submit, read, revise, withdraw, disqualify."""
from flask import make_response

from challenges.api import limits
from challenges.arrival import received_at
from challenges.api.blueprint import Blueprint, no_body
from challenges.api.conditional import if_match
from challenges.api.guards import guard, load
from challenges.api.idempotent import idempotent
from challenges.api.uploads import file_body, form_and_file, multipart_to
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.common import PageArgs, ReasonIn, page_of
from challenges.schemas.scoring import PredictionsForm
from challenges.schemas.submissions import SubmissionIn, SubmissionOut, SubmissionPatch
from challenges.services import scoring, submissions

PREDICTION_FIELDS = {"title": {"type": "string", "maxLength": 200}, "accept_terms": {"type": "string", "enum": ["true"]}}
bp = Blueprint("submissions", __name__, url_prefix="/api/v1", description="Submissions.")


def submit_predictions(challenge):
    """A scored challenge's submission: a predictions file, multipart, checked against the key before the 201."""
    data, upload = form_and_file(PredictionsForm)
    submission = scoring.submit(current_user(), challenge, received_at(), stream=upload.stream, **data)
    return make_response(SubmissionOut().dump(submission), 201)


@bp.post("/challenges/<id:challenge_id>/submissions")
@limits.submit
@login_required
@load(submissions.submittable, "challenge")
@idempotent
@multipart_to(submit_predictions, check_json=submissions.require_json)
@file_body("Scored challenges: CSV with the header id,<target>, one row per id of the answer key.",
           PREDICTION_FIELDS, alternative=True)
@bp.arguments(SubmissionIn)
@bp.response(201, SubmissionOut)
def submit(data, challenge):
    """Submit a solution to an open challenge (a predictions file, multipart, when scored); the answer is the receipt."""
    data.pop("accept_terms")  # the schema refused anything but true
    return submissions.submit(current_user(), challenge, received_at(), **data)


@bp.get("/challenges/<id:challenge_id>/submissions")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(SubmissionOut))
def list_submissions(args, challenge_id):
    """Members see every submission; participants their own."""
    return submissions.for_challenge(current_user(), challenge_id, **args)


@bp.get("/submissions/<id:submission_id>")
@authenticated
@bp.response(200, SubmissionOut)
def get_submission(submission_id):
    """A submission, to its author and the organisation (and to all once it won publicly)."""
    return submissions.read(current_user(), submission_id)


@bp.patch("/submissions/<id:submission_id>")
@login_required
@guard(submissions.authored)
@if_match(submissions.locked_own, SubmissionOut)
@bp.arguments(SubmissionPatch)
@bp.response(200, SubmissionOut)
def revise(data, submission_id):
    """Edit a submission while the challenge is open: a new revision."""
    return submissions.revise(current_user(), submission_id, **data)


@bp.post("/submissions/<id:submission_id>/withdraw")
@login_required
@guard(submissions.authored)
@no_body(bp)
@bp.response(200, SubmissionOut)
def withdraw(_body, submission_id):
    """Withdraw a submission while the challenge is open."""
    return submissions.withdraw(current_user(), submission_id)


@bp.post("/submissions/<id:submission_id>/disqualify")
@login_required
@guard(submissions.managed)
@bp.arguments(ReasonIn)
@bp.response(200, SubmissionOut)
def disqualify(data, submission_id):
    """Disqualify a submission, with a reason, before finalisation."""
    return submissions.disqualify(current_user(), submission_id, data["reason"])
