"""Scored challenges: the hidden answer key, predictions as submissions, their evaluation, quotas and selection."""
import logging
import math
from datetime import datetime, time, timedelta
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from challenges import clock, jobs
from challenges.errors import Conflict, UnsupportedMediaType, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    AnswerKey, Challenge, Evaluation, EvaluationStatus, Phase, Prediction, Submission, SubmissionStatus, User,
)
from challenges.models.scoring import EvaluationFault
from challenges.services import answer_files, answer_key_cache, audit, boards, challenges, submissions
from challenges.services.metrics import METRICS, Metric
from challenges.telemetry.counters import EVALUATIONS, count_on_commit

log = logging.getLogger(__name__)
KEY_PHASES = (Phase.DRAFT, Phase.UPCOMING)
SCORE_DIGITS = 6  # significant digits of every score kept and shown: the rest would only help read the key


class Unscorable(Exception):
    """The metric could not score the predictions, though they passed the checks at upload."""


def require_scored(challenge: Challenge) -> None:
    """Conflict for a judged challenge, which has no answer key."""
    if challenge.evaluation is not Evaluation.SCORED:
        raise Conflict(_("This challenge is judged by people; it has no answer key or predictions."))


def metric_of(challenge: Challenge) -> Metric:
    """The metric a scored challenge is ranked by."""
    return METRICS[challenge.scoring["metric"]]


def upload_key(actor: User, challenge_id: int, stream: BinaryIO) -> AnswerKey:
    """Check and store the answer key and its public/private split, while draft or upcoming."""
    challenge = challenges.manageable(actor, challenge_id)
    require_scored(challenge)
    metric, fraction = metric_of(challenge), challenge.scoring["public_fraction"]
    key = answer_files.read_key(stream, metric)
    public = answer_files.public_mask(key, fraction)
    answer_files.check_split(key, public, metric)
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    if challenge.phase_at(clock.now()) not in KEY_PHASES:
        raise Conflict(_("The answer key can change only while the challenge is a draft or upcoming."))
    stored = db.session.get(AnswerKey, challenge.id) or AnswerKey(challenge_id=challenge.id)
    stored.target, stored.metric, stored.public_fraction = key.target, metric.name, fraction
    stored.rows, stored.public_rows, stored.sha256 = key.rows, int(public.sum()), key.sha256
    stored.prediction_min, stored.prediction_max = key.bounds or (None, None)
    stored.data = answer_files.to_blob(ids=key.ids, values=key.values, public=public)
    stored.uploaded_by, stored.uploaded_at = actor.id, clock.now()
    db.session.add(stored)
    audit.record(actor, "answer_key.uploaded", challenge, challenge.organisation_id,
                 sha256=key.sha256, rows=key.rows, public_rows=stored.public_rows)
    db.session.commit()
    return stored


def require_ready(challenge: Challenge) -> None:
    """A scored challenge is published only with an answer key made for its current settings."""
    stored = db.session.get(AnswerKey, challenge.id)
    if stored is None:
        raise Conflict(_("Upload the answer key before publishing a scored challenge."))
    if (stored.metric, stored.public_fraction) != (challenge.scoring["metric"], challenge.scoring["public_fraction"]):
        raise Conflict(_("The scoring settings changed since the answer key was uploaded; upload it again."))


def _key(challenge: Challenge) -> tuple[AnswerKey, dict]:
    stored = db.session.get(AnswerKey, challenge.id)
    return stored, answer_key_cache.arrays(stored)


def submit(actor: User, challenge: Challenge, received_at: datetime, *, title: str, stream: BinaryIO) -> Submission:
    """Take a predictions file that arrived at `received_at` (not refused for the time its check takes): checked
    against the key at once, scored in the background."""
    if challenge.evaluation is not Evaluation.SCORED:
        raise UnsupportedMediaType(_("A judged challenge takes a JSON body, not a file."))
    stored, arrays = _key(challenge)
    bounds = None if stored.prediction_min is None else (stored.prediction_min, stored.prediction_max)
    key = answer_files.Key(target=stored.target, ids=arrays["ids"], values=arrays["values"], sha256=stored.sha256,
                           bounds=bounds)
    values, file_sha256 = answer_files.read_predictions(stream, key, metric_of(challenge))
    participation, team_id = submissions.entrant_locked(actor, challenge)
    submissions.require_open(challenge, received_at)
    _require_quota(challenge, participation, team_id, received_at)
    submission = submissions.add(actor, challenge, received_at, title=title, file_sha256=file_sha256,
                                 evaluation_status=EvaluationStatus.PENDING, team_id=team_id)
    db.session.add(Prediction(submission_id=submission.id, file_sha256=file_sha256, rows=len(values),
                              data=answer_files.to_blob(values=values)))
    submissions.count(challenge, received_at, +1)
    db.session.commit()
    jobs.enqueue(evaluate, submission.id)
    return submission


def _require_quota(challenge: Challenge, participation, team_id: int | None, at: datetime) -> None:
    used_today = used_on(participation, team_id, at)
    if used_today >= challenge.scoring["max_daily_submissions"]:
        raise Conflict(_("You have used today's %(count)s submissions; the next slot opens at %(at)s.",
                         count=used_today, at=_next_midnight(at).isoformat()))
    if challenge.limit_reached(submissions.active_count(participation, team_id)):
        raise Conflict(_("You have reached this challenge's submission limit."))


def used_on(participation, team_id: int | None, at: datetime) -> int:
    """Submissions of the UTC day of `at` (the team's when in one), withdrawn ones included, except those we
    failed to score through a fault of ours."""
    day_start = datetime.combine(at.date(), time(), tzinfo=at.tzinfo)
    return db.session.scalar(select(func.count()).select_from(Submission).where(
        submissions.entrant_filter(participation.user_id, participation.challenge_id, team_id),
        Submission.submitted_at >= day_start, Submission.submitted_at < day_start + timedelta(days=1),
        Submission.evaluation_fault.is_distinct_from(EvaluationFault.OURS)))


def _next_midnight(at: datetime) -> datetime:
    return datetime.combine(at.date() + timedelta(days=1), time(), tzinfo=at.tzinfo)


def quota(actor: User, challenge_id: int) -> dict:
    """How many submissions remain today and in all, and when the next one will be accepted."""
    challenge = submissions.submittable(actor, challenge_id)
    require_scored(challenge)
    participation = submissions.participation_of(actor, challenge)
    team_id = submissions.team_id_of(actor.id, challenge.id)
    now = clock.now()
    used_today = used_on(participation, team_id, now) if participation else 0
    active = submissions.active_count(participation, team_id) if participation else 0
    limit = challenge.max_submissions_per_participant
    remaining_today = max(challenge.scoring["max_daily_submissions"] - used_today, 0)
    remaining_total = None if limit is None else max(limit - active, 0)
    return {"remaining_today": remaining_today, "remaining_total": remaining_total,
            "next_slot_at": _next_slot(challenge, now, remaining_today, remaining_total)}


def _next_slot(challenge: Challenge, now: datetime, remaining_today: int, remaining_total: int | None):
    """Now while slots remain; the next UTC midnight when today's are used; None when none will come."""
    phase = challenge.phase_at(now)
    if remaining_total == 0 or phase not in (Phase.UPCOMING, Phase.OPEN):
        return None
    if phase is Phase.UPCOMING:
        return challenge.opens_at
    if remaining_today:
        return now
    midnight = _next_midnight(now)
    return midnight if midnight < challenge.closes_at else None


def select_final(actor: User, challenge_id: int, submission_ids: list[int]) -> list[int]:
    """Choose the submissions that count on the private leaderboard, until the deadline."""
    challenge = submissions.submittable(actor, challenge_id)
    require_scored(challenge)
    wanted = list(dict.fromkeys(submission_ids))
    limit = challenge.scoring["final_selection_limit"]
    if len(wanted) > limit:
        raise ValidationFailed("submission_ids", _("Select at most %(count)s submissions.", count=limit))
    submissions.participation_of(actor, challenge, lock=True)  # serialises with this participant's uploads
    team_id = submissions.lock_team_of(actor, challenge)  # and with teammates choosing at the same time
    own = {s.id: s for s in db.session.scalars(select(Submission).where(
        submissions.entrant_filter(actor.id, challenge.id, team_id)))}
    bad = [i for i in wanted if i not in own or own[i].status is not SubmissionStatus.SUBMITTED
           or own[i].evaluation_status is EvaluationStatus.FAILED]
    if bad:
        raise ValidationFailed("submission_ids", _("Not your active submissions to this challenge: %(ids)s.", ids=bad))
    submissions.require_open(challenge, clock.now())
    db.session.execute(update(Submission).where(submissions.entrant_filter(actor.id, challenge.id, team_id))
                       .values(selected=Submission.id.in_(wanted) if wanted else False)
                       .execution_options(synchronize_session=False))
    boards.changed(challenge.id, boards.entrant(actor.id, team_id))
    audit.record(actor, "selection.made", challenge, challenge.organisation_id, submission_ids=wanted)
    db.session.commit()
    return wanted


def evaluate(submission_id: int) -> None:
    """Score a pending submission on both parts of the key; only a failure of ours frees the participant's slot."""
    submission = db.session.get(Submission, submission_id, with_for_update=True)
    if submission is None or submission.evaluation_status is not EvaluationStatus.PENDING:
        return
    try:
        public, private = _scores(submission)
    except Unscorable as error:  # their own file did it: a free failure would let crafted files probe the key
        _fail(submission, EvaluationFault.PARTICIPANT, f"Your predictions could not be scored: {error}; "
                                                       "this submission counts toward your limits.")
    except Exception as error:  # reading back what was checked at upload failed: ours
        log.exception("scoring submission %s failed", submission_id)
        _fail(submission, EvaluationFault.OURS, f"Scoring failed on our side ({type(error).__name__}); "
                                                "this submission does not count toward your limits.")
    else:
        submission.evaluation_status, submission.evaluation_fault, submission.evaluation_error = \
            EvaluationStatus.SCORED, None, None  # a submission scored again may have failed before
        submission.public_score, submission.private_score = public, private
    submission.scored_at = clock.now()
    count_on_commit(EVALUATIONS.labels(submission.evaluation_status))
    db.session.commit()


def _fail(submission: Submission, fault: EvaluationFault, message: str) -> None:
    submission.evaluation_status, submission.evaluation_fault = EvaluationStatus.FAILED, fault
    submission.evaluation_error, submission.public_score, submission.private_score = message, None, None


def _scores(submission: Submission) -> tuple[float, float]:
    """The public and private scores, rounded; Unscorable when the metric fails on the predictions."""
    challenge = submission.challenge
    _, key = _key(challenge)
    predicted = answer_files.from_blob(db.session.get(Prediction, submission.id).data)["values"]
    public, metric = key["public"], metric_of(challenge)
    if predicted.shape != key["values"].shape:
        raise ValueError("the stored predictions do not match the key")  # ours: they were aligned at upload
    try:
        scores = (metric.score(key["values"][public], predicted[public]),
                  metric.score(key["values"][~public], predicted[~public]))
    except (ArithmeticError, ValueError) as error:
        raise Unscorable(f"{metric.name} failed on them") from error
    if not all(math.isfinite(score) for score in scores):
        raise Unscorable(f"{metric.name} gave no finite score")
    return significant(scores[0]), significant(scores[1])


def significant(score: float) -> float:
    """A score rounded to SCORE_DIGITS significant digits, as it is kept, ranked and shown."""
    return float(f"{score:.{SCORE_DIGITS - 1}e}")


def pending_ids(older_than: timedelta) -> list[int]:
    """Submissions still waiting for their score after this long (a lost job, say)."""
    return list(db.session.scalars(select(Submission.id).where(
        Submission.evaluation_status == EvaluationStatus.PENDING,
        Submission.submitted_at <= clock.now() - older_than).order_by(Submission.id)))
