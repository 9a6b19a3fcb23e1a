"""Attachments: files on submissions and challenges, uploaded as multipart and downloaded as a stream."""
from flask import send_file

from challenges.api.blueprint import Blueprint
from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.api.uploads import file_body, form_and_file
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.attachments import AttachmentForm, AttachmentOut
from challenges.schemas.common import PageArgs, page_of
from challenges.services import attachments, challenges, submissions

bp = Blueprint("attachments", __name__, url_prefix="/api/v1", description="Attachments.")
FILE = ("Allowed types (ATTACHMENT_TYPES) are judged from the content (415 otherwise). At most MAX_ATTACHMENT_BYTES, "
        "and the uploader's files together at most MAX_USER_STORAGE_BYTES (413 beyond either).")


@bp.post("/submissions/<id:submission_id>/attachments")
@login_required
@guard(submissions.authored)
@idempotent
@file_body(FILE)
@bp.response(201, AttachmentOut)
def attach_to_submission(submission_id):
    """Attach a file to one's submission while the challenge is open; the receipt's SHA-256 covers it."""
    return _uploaded(attachments.attach_to_submission, submission_id)


@bp.post("/challenges/<id:challenge_id>/attachments")
@login_required
@guard(challenges.manageable)
@idempotent
@file_body(FILE)
@bp.response(201, AttachmentOut)
def attach_to_challenge(challenge_id):
    """Attach data or a brief to a challenge (owners, managers); public once the challenge is."""
    return _uploaded(attachments.attach_to_challenge, challenge_id)


def _uploaded(attach, owner_id: int):
    """Hand the request's one `file` part to the service that attaches it."""
    _, upload = form_and_file(AttachmentForm)
    return attach(current_user(), owner_id, stream=upload.stream, filename=upload.filename)


@bp.get("/submissions/<id:submission_id>/attachments")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(AttachmentOut))
def list_submission_attachments(args, submission_id):
    """The files of a submission, for whoever may see it."""
    return attachments.of_submission(current_user(), submission_id, **args)


@bp.get("/challenges/<id:challenge_id>/attachments")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(AttachmentOut))
def list_challenge_attachments(args, challenge_id):
    """The data and briefs of a challenge, for whoever may see it."""
    return attachments.of_challenge(current_user(), challenge_id, **args)


@bp.get("/attachments/<id:attachment_id>")
@authenticated
@bp.response(200, content_type="application/octet-stream", description="The file's bytes, streamed.")
def download_attachment(attachment_id):
    """Download a file, for whoever may see its submission or challenge."""
    attachment, stream = attachments.download(current_user(), attachment_id)
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, etag=attachment.sha256, conditional=False)
    response.content_length = attachment.size
    return response


@bp.delete("/attachments/<id:attachment_id>")
@login_required
@bp.response(204)
def delete_attachment(attachment_id):
    """Remove a file one uploaded, while its submission or challenge can change; its size counts no more."""
    attachments.delete(current_user(), attachment_id)
