"""Files on submissions and challenges: checked, stored by SHA-256, and served to those who may see their owner."""
import logging
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select

from challenges import clock, pagination
from challenges.errors import Conflict, Unavailable
from challenges.extensions import db
from challenges.models import Attachment, Challenge, Status, User
from challenges.services import audit, challenges, file_types, policy, submissions
from challenges.storage import MissingFile, storage

MAX_PER_OWNER = 50
log = logging.getLogger(__name__)


def attach_to_submission(actor: User, submission_id: int, *, stream: BinaryIO, filename: str | None) -> Attachment:
    """Attach a file to the actor's own submission while it can be edited; a new revision covers it."""
    submission = submissions.authored(actor, submission_id)
    submissions.require_editable(submission, clock.now())  # refuse early, before reading a large file
    _require_room(Attachment.submission_id == submission.id)
    checked = _checked_and_stored(stream, filename)
    submission = submissions.locked_own(actor, submission_id)
    at = clock.now()
    submissions.require_editable(submission, at)  # again under the lock: the deadline may have passed meanwhile
    attachment = _add(actor, submission.challenge_id, submission.id, checked, filename, at)
    submissions.files_changed(actor, submission, at)
    audit.record(actor, "attachment.added", attachment, submission.challenge.organisation_id,
                 submission_id=submission.id, sha256=attachment.sha256)
    db.session.commit()
    return attachment


def attach_to_challenge(actor: User, challenge_id: int, *, stream: BinaryIO, filename: str | None) -> Attachment:
    """Attach data or a brief to a challenge the actor runs, before it is finalised or cancelled."""
    _require_editable(challenges.manageable(actor, challenge_id))
    _require_room((Attachment.challenge_id == challenge_id) & Attachment.submission_id.is_(None))
    checked = _checked_and_stored(stream, filename)
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    _require_editable(challenge)
    attachment = _add(actor, challenge.id, None, checked, filename, clock.now())
    audit.record(actor, "attachment.added", attachment, challenge.organisation_id, sha256=attachment.sha256)
    db.session.commit()
    return attachment


def _require_editable(challenge: Challenge) -> None:
    if challenge.status not in (Status.DRAFT, Status.PUBLISHED):
        raise Conflict(f"A {challenge.status} challenge's files cannot change.")


def _checked_and_stored(stream: BinaryIO, filename: str | None) -> file_types.Inspected:
    """Hash and type the file, then store it; no lock is held while this runs."""
    config = current_app.config
    allowed = {kind.strip().lower() for kind in config["ATTACHMENT_TYPES"].split(",") if kind.strip()}
    checked = file_types.inspect(stream, filename or "", allowed, config["MAX_ATTACHMENT_BYTES"])
    storage().put(checked.sha256, stream)
    return checked


def _add(actor: User, challenge_id: int, submission_id: int | None, checked: file_types.Inspected,
         filename: str | None, at) -> Attachment:
    _require_room(Attachment.submission_id == submission_id if submission_id else
                  (Attachment.challenge_id == challenge_id) & Attachment.submission_id.is_(None))
    attachment = Attachment(challenge_id=challenge_id, submission_id=submission_id, uploader_id=actor.id,
                            filename=file_types.display_name(filename), size=checked.size,
                            content_type=checked.content_type, sha256=checked.sha256, created_at=at)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _require_room(owner) -> None:
    """Conflict when the owner already has as many files as allowed."""
    if db.session.scalar(select(func.count()).select_from(Attachment).where(owner)) >= MAX_PER_OWNER:
        raise Conflict(f"At most {MAX_PER_OWNER} files may be attached here.")


def visible(actor: User | None, attachment_id: int) -> Attachment:
    """An attachment whose owner the actor may see; NotFound otherwise."""
    attachment = db.session.get(Attachment, attachment_id)
    policy.visible_or_404(attachment is not None, "attachment")
    if attachment.submission_id:
        submissions.visible(actor, attachment.submission_id)
    else:
        challenges.visible(actor, attachment.challenge_id)
    return attachment


def download(actor: User | None, attachment_id: int) -> tuple[Attachment, BinaryIO]:
    """An attachment the actor may see, and its bytes as a stream."""
    attachment = visible(actor, attachment_id)
    try:
        return attachment, storage().open(attachment.sha256)
    except MissingFile:  # the store lost a file the database names: ours to fix, not the caller's
        log.error("attachment %s: file %s is missing from the store", attachment.id, attachment.sha256)
        raise Unavailable("The file cannot be read right now.") from None


def delete(actor: User, attachment_id: int) -> None:
    """Remove a file its uploader attached, while its owner can still change."""
    attachment = visible(actor, attachment_id)
    policy.require(attachment.uploader_id == actor.id, "Only who uploaded a file may remove it.")
    at = clock.now()
    if attachment.submission_id:
        submission = submissions.locked_own(actor, attachment.submission_id)
        submissions.require_editable(submission, at)
        db.session.delete(attachment)
        submissions.files_changed(actor, submission, at)
        organisation_id = submission.challenge.organisation_id
    else:
        challenge = challenges.manageable(actor, attachment.challenge_id, lock=True)
        _require_editable(challenge)
        db.session.delete(attachment)
        organisation_id = challenge.organisation_id
    audit.record(actor, "attachment.removed", attachment, organisation_id, sha256=attachment.sha256)
    db.session.commit()


def of_submission(actor: User | None, submission_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The files of a submission the actor may see."""
    submission = submissions.visible(actor, submission_id)
    query = select(Attachment).where(Attachment.submission_id == submission.id)
    page = pagination.paginate(query, [Attachment.id], limit, cursor)
    if policy.authors_hidden(actor, submission.challenge):  # blind judges do not learn who uploaded
        page.items = [policy.Masked(attachment, {"uploader_id"}) for attachment in page.items]
    return page


def of_challenge(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The files of a challenge the actor may see (its data and briefs, not its submissions' files)."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Attachment).where(Attachment.challenge_id == challenge.id, Attachment.submission_id.is_(None))
    return pagination.paginate(query, [Attachment.id], limit, cursor)

