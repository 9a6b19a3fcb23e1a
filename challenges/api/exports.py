"""Exports of a challenge's submissions for its organisation."""
from flask import Response, stream_with_context

from challenges.api.blueprint import Blueprint
from challenges.auth import current_user, login_required
from challenges.services import challenges, exports

bp = Blueprint("exports", __name__, url_prefix="/api/v1", description="Exports.")


@bp.get("/challenges/<id:challenge_id>/export.csv")
@login_required
@bp.response(200, content_type="text/csv", description="One row per submission.")
def export_csv(challenge_id):
    """Every submission as a CSV row, streamed (owners, managers)."""
    challenge = challenges.manageable(current_user(), challenge_id)
    return Response(stream_with_context(exports.csv_lines(challenge)), mimetype="text/csv",
                    headers=_download(f"challenge-{challenge.id}-submissions.csv"))


@bp.get("/challenges/<id:challenge_id>/export.zip")
@login_required
@bp.response(200, content_type="application/zip", description="submissions.csv and the attached files.")
def export_zip(challenge_id):
    """Every submission and attached file as a ZIP, streamed (owners, managers)."""
    challenge = challenges.manageable(current_user(), challenge_id)
    return Response(stream_with_context(exports.zip_archive(challenge)), mimetype="application/zip",
                    headers=_download(f"challenge-{challenge.id}-submissions.zip"))


def _download(filename: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
