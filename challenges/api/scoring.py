"""Scored challenges: the answer key, the participant's quota and final selection."""
from challenges.api.blueprint import Blueprint
from challenges.api.guards import guard
from challenges.api.uploads import file_body, form_and_file
from challenges.auth import current_user, login_required
from challenges.schemas.scoring import AnswerKeyOut, NoFields, QuotaOut, SelectionIn, SelectionOut
from challenges.services import challenges, scoring, submissions

bp = Blueprint("scoring", __name__, url_prefix="/api/v1", description="Scoring against a hidden answer key.")


@bp.put("/challenges/<id:challenge_id>/answer-key")
@login_required
@guard(challenges.manageable)
@file_body("CSV with the header id,<target>, UTF-8.")
@bp.response(200, AnswerKeyOut)
def upload_answer_key(challenge_id):
    """Upload the hidden answer key (CSV id,<target>) while the challenge is a draft or upcoming."""
    _fields, upload = form_and_file(NoFields)
    return scoring.upload_key(current_user(), challenge_id, upload.stream)


@bp.get("/challenges/<id:challenge_id>/quota")
@login_required
@bp.response(200, QuotaOut)
def quota(challenge_id):
    """How many submissions remain today and in all, and when the next slot opens."""
    return scoring.quota(current_user(), challenge_id)


@bp.put("/challenges/<id:challenge_id>/selection")
@login_required
@guard(submissions.submittable)
@bp.arguments(SelectionIn)
@bp.response(200, SelectionOut)
def select(data, challenge_id):
    """Choose the submissions that count on the private leaderboard, until the deadline."""
    return {"submission_ids": scoring.select_final(current_user(), challenge_id, data["submission_ids"])}
