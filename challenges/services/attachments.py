"""Files on submissions and challenges: checked, stored by SHA-256 within their uploader's allowance, served to
those who may see their owner, and swept from the store once nothing names them."""
import logging
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import BigInteger, func, literal, select, union_all

from challenges import clock, pagination
from challenges.errors import Conflict, TooLarge, Unavailable
from challenges.extensions import db
from challenges.models import AnswerKey, Attachment, Challenge, Prediction, Status, User
from challenges.services import audit, challenges, file_types, policy, submissions
from challenges.storage import MissingFile, storage

MAX_PER_OWNER = 50
SWEEP_BATCH = 100  # files deleted per transaction, so that an upload of one of them never waits long
# Every column that names a file by its SHA-256: the sweep keeps whatever one of them names. Answer keys and
# predictions keep their parsed arrays in the database, but their files are named here all the same, so that
# a file of theirs is safe in the store (a file attached and uploaded as predictions too is merely kept longer).
FILE_NAMES = (Attachment.sha256, AnswerKey.sha256, Prediction.file_sha256)
# PostgreSQL: the advisory lock each sweep batch shares and a backup (challenges.backups.postgres) holds alone from
# before its snapshot until its files are copied, so that no file a dump names is deleted meanwhile. Above the 60
# bits of _lock_key, so that no file's key is ever this one.
SWEEP_PAUSE_KEY = 0x6368616C6C62616B  # "challbak"
log = logging.getLogger(__name__)


def attach_to_submission(actor: User, submission_id: int, *, stream: BinaryIO, filename: str | None) -> Attachment:
    """Attach a file to the actor's own submission while it can be edited; a new revision covers it."""
    submission = submissions.authored(actor, submission_id)
    submissions.require_editable(submission, clock.now())  # refuse early, before reading a large file
    _require_room(Attachment.submission_id == submission.id)
    checked = _checked_and_stored(actor, stream, filename)
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
    checked = _checked_and_stored(actor, stream, filename)
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    _require_editable(challenge)
    attachment = _add(actor, challenge.id, None, checked, filename, clock.now())
    audit.record(actor, "attachment.added", attachment, challenge.organisation_id, sha256=attachment.sha256)
    db.session.commit()
    return attachment


def _require_editable(challenge: Challenge) -> None:
    if challenge.status not in (Status.DRAFT, Status.PUBLISHED):
        raise Conflict(_("A %(status)s challenge's files cannot change.", status=challenge.status))


def _checked_and_stored(actor: User, stream: BinaryIO, filename: str | None) -> file_types.Inspected:
    """Hash and type the file with no lock held; then, within the actor's allowance, store it."""
    # Locks from here on: the uploader's row, the file's hash, then (in the caller) the challenge and the
    # submission. Nothing takes them in another order, so uploads cannot deadlock with other writes.
    config = current_app.config
    allowed = {kind.strip().lower() for kind in config["ATTACHMENT_TYPES"].split(",") if kind.strip()}
    checked = file_types.inspect(stream, filename or "", allowed, config["MAX_ATTACHMENT_BYTES"])
    _require_allowance(actor, checked.size)
    _hold_for_upload(checked.sha256)
    storage().put(checked.sha256, stream)
    return checked


def _require_allowance(actor: User, size: int) -> None:
    """413 when the file would take the actor's attachments past MAX_USER_STORAGE_BYTES (0: no limit)."""
    limit = current_app.config["MAX_USER_STORAGE_BYTES"]
    if limit <= 0:
        return
    # The uploader's row stays locked until the commit, so one user's uploads at once are counted one after the
    # other; FOR NO KEY UPDATE does not hold up the inserts of rows that merely refer to the user.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update(key_share=True))
    used = db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                             .where(Attachment.uploader_id == actor.id))
    if used + size > limit:
        raise TooLarge(_("Your files may take %(limit)s bytes in all and %(left)s remain; this one holds %(size)s. "
                         "Remove files you no longer need to make room.", limit=limit, left=max(limit - used, 0),
                         size=size))


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
        raise Conflict(_("At most %(count)s files may be attached here.", count=MAX_PER_OWNER))


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
        raise Unavailable(_("The file cannot be read right now.")) from None


def delete(actor: User, attachment_id: int) -> None:
    """Remove a file its uploader attached, while its owner can still change."""
    attachment = visible(actor, attachment_id)
    policy.require(attachment.uploader_id == actor.id, _("Only who uploaded a file may remove it."))
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


# Uploads and the sweep never race. An upload writes its file to the store while it holds the file's hash
# (_hold_for_upload), and keeps the hold until its row commits; the sweep deletes a file only once it holds the
# hash alone (_held_for_removal) and has seen, under that hold, that no row names it. A file an upload needs is
# thus either named by a committed row when the sweep looks, or written again by the upload once the sweep is
# done with it. No grace period is needed: what a failed upload left behind goes at the next sweep.
def sweep_store() -> int:
    """Delete the stored files that no row names any more; how many were deleted."""
    named = _named()
    db.session.commit()  # listing a large store takes a while: hold nothing meanwhile
    store, removed = storage(), 0
    unnamed = [sha256 for sha256 in store.names() if sha256 not in named]
    for start in range(0, len(unnamed), SWEEP_BATCH):
        _pause_for_backups()
        held = _held_for_removal(unnamed[start:start + SWEEP_BATCH])
        doomed = set(held) - _named(held)  # asked again under the hold: an upload may have committed since
        for sha256 in doomed:
            store.remove(sha256)
        db.session.commit()  # ends the hold
        removed += len(doomed)
    log.info("storage sweep: %d file(s) that nothing names were deleted", removed)
    return removed


def _named(among: list[str] | None = None) -> set[str]:
    """The hashes, of every file or of those given, that some row names."""
    queries = [select(column) if among is None else select(column).where(column.in_(among))
               for column in FILE_NAMES]
    return set(db.session.scalars(union_all(*queries)))  # duplicates go in the set, not in a sort in the database


def _pause_for_backups() -> None:
    """Wait for a backup under way to finish, and keep the next one from starting, until the transaction ends."""
    # PostgreSQL: shared with other batches, waited for by a backup (a batch that asks while a backup waits queues
    # behind it, so that sweeps never starve a backup). SQLite: no pause, nor any need of one for a batch in
    # progress: the batch deletes under the write lock only files no committed row names, and the backup API copies
    # a committed state, so no copy names them. A file whose row is deleted after the copy and that a later batch
    # deletes before the backup reads it is reported missing by the backup, which then fails unless told otherwise.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock_shared(literal(SWEEP_PAUSE_KEY, BigInteger))))


def _hold_for_upload(sha256: str) -> None:
    """Keep the sweep off this file until the transaction ends."""
    # PostgreSQL: a shared advisory lock on the hash, which uploads of one file share. SQLite: the write lock,
    # which every transaction takes as it begins (BEGIN IMMEDIATE), and this one has begun by now.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock_shared(_lock_key(sha256))))


def _held_for_removal(hashes: list[str]) -> list[str]:
    """Those of the files that no upload holds, now held by this transaction alone until it ends."""
    connection = db.session.connection()  # SQLite: the write lock is taken here, so no upload is under way
    if connection.dialect.name != "postgresql":
        return hashes
    return [sha256 for sha256 in hashes
            if connection.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(sha256))))]


def _lock_key(sha256: str):
    """An advisory lock's key: 60 bits of the hash (two files that share them only wait for each other)."""
    return literal(int(sha256[:15], 16), BigInteger)
