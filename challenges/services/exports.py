"""A challenge's submissions for its organisation: a CSV, and a ZIP with the attached files, both streamed."""
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from zipstream import ZipStream

from challenges.extensions import db
from challenges.models import (
    Attachment, Award, AwardStatus, Challenge, Evaluation, Moderation, Phase, Prize, Submission,
)
from challenges.services import leaderboards
from challenges.services.score_sheets import line
from challenges.storage import CHUNK, storage

COLUMNS = ["id", "title", "participant", "team", "status", "submitted_at", "content_sha256", "revision", "shortlisted",
           "score", "award"]


def csv_lines(challenge: Challenge) -> Iterator[str]:
    """One row per submission, oldest first: the receipt, the standing and the prize."""
    scores = _scores(challenge)
    yield line(COLUMNS)
    query = (select(Submission, Prize.title)
             .outerjoin(Award, (Award.submission_id == Submission.id) & (Award.status != AwardStatus.CANCELLED))
             .outerjoin(Prize, Prize.id == Award.prize_id)
             .options(selectinload(Submission.participant), selectinload(Submission.team))
             .where(Submission.challenge_id == challenge.id, Submission.moderation == Moderation.VISIBLE)
             .order_by(Submission.id)
             .execution_options(yield_per=500))
    for submission, prize in db.session.execute(query):
        yield line([submission.id, submission.title, submission.participant.display_name,
                    submission.team.name if submission.team else "",
                    submission.status, submission.submitted_at.isoformat(), submission.content_sha256,
                    submission.revision, submission.shortlisted, scores.get(submission.id), prize or ""])


def _scores(challenge: Challenge) -> dict[int, float]:
    """The score of each submission as members see it: the judges' mean, or the private score once the
    deadline has passed (the public one before)."""
    if challenge.evaluation is Evaluation.JUDGED:
        query = select(Submission.id, Submission.review_score).where(leaderboards.judged_ranked(challenge.id))
    else:
        private = challenge.phase in (Phase.CLOSED, Phase.FINALISED)
        query = select(Submission.id, Submission.private_score if private else Submission.public_score) \
            .where(Submission.challenge_id == challenge.id)
    return {submission_id: score for submission_id, score in db.session.execute(query) if score is not None}


def zip_archive(challenge: Challenge) -> ZipStream:
    """submissions.csv and attachments/<submission id>/<attachment id>-<file name>, read as the ZIP is sent."""
    archive = ZipStream(sized=False)
    archive.add((text.encode() for text in csv_lines(challenge)), "submissions.csv")
    files = db.session.scalars(select(Attachment).join(Submission, Submission.id == Attachment.submission_id).where(
        Attachment.challenge_id == challenge.id, Submission.moderation == Moderation.VISIBLE)
        .order_by(Attachment.submission_id, Attachment.id)).all()
    for attachment in files:
        archive.add(_chunks(attachment.sha256),
                    f"attachments/{attachment.submission_id}/{attachment.id}-{attachment.filename}")
    return archive


def _chunks(sha256: str) -> Iterator[bytes]:
    """A stored file's bytes, opened only when the archive reaches it."""
    with storage().open(sha256) as stream:
        while chunk := stream.read(CHUNK):
            yield chunk
