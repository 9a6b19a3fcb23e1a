"""Judging a submission: assignments to judges, reviews, conflicts of interest and the shortlist."""
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, Forbidden, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    Assignment, Challenge, ConflictOfInterest, Membership, Moderation, Phase, Review, Role, Status, Submission,
    SubmissionStatus, User,
)
from challenges.services import audit, challenges, policy, rubric, standings, submissions


def assign(actor: User, challenge_id: int, judges_per_submission: int) -> None:
    """Replace the assignment: each active submission gets that many judges, the least loaded first."""
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    rubric.require_judged(challenge)
    pool = list(db.session.scalars(select(Membership.user_id).where(
        Membership.organisation_id == challenge.organisation_id, Membership.role == Role.JUDGE)
        .order_by(Membership.user_id)))
    if judges_per_submission > len(pool):
        raise ValidationFailed("judges_per_submission", _("The organisation has %(count)s judge(s).", count=len(pool)))
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("Judges are assigned to a published challenge, not a %(phase)s one.", phase=challenge.phase))
    active = db.session.scalars(select(Submission.id).where(
        Submission.challenge_id == challenge.id, Submission.status == SubmissionStatus.SUBMITTED,
        Submission.moderation == Moderation.VISIBLE).order_by(Submission.id)).all()
    conflicts = {(submission_id, judge_id) for submission_id, judge_id in db.session.execute(
        select(ConflictOfInterest.submission_id, ConflictOfInterest.judge_id)
        .where(ConflictOfInterest.challenge_id == challenge.id))}
    db.session.execute(delete(Assignment).where(Assignment.challenge_id == challenge.id))
    pairs = balanced(active, pool, judges_per_submission, conflicts)
    db.session.add_all(Assignment(challenge_id=challenge.id, submission_id=s, judge_id=j) for s, j in pairs)
    audit.record(actor, "judges.assigned", challenge, challenge.organisation_id,
                 judges_per_submission=judges_per_submission, assignments=len(pairs))
    db.session.commit()


def balanced(submission_ids: list[int], judges: list[int], per_submission: int,
             conflicts: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Round-robin by load: each submission takes the judges with the fewest assignments so far."""
    load = {judge: 0 for judge in judges}  # in pool order: ties go to the earlier judge, so equal loads rotate
    pairs = []
    for submission_id in submission_ids:
        eligible = [judge for judge in judges if (submission_id, judge) not in conflicts]
        for judge in sorted(eligible, key=load.__getitem__)[:per_submission]:
            load[judge] += 1
            pairs.append((submission_id, judge))
    return pairs


def assignments(actor: User, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """Every assignment for owners and managers; a judge's own for a judge."""
    challenge = rubric.judged(actor, challenge_id)
    query = select(Assignment).where(Assignment.challenge_id == challenge.id)
    if not policy.may_manage(actor, challenge.organisation_id):
        query = query.where(Assignment.judge_id == actor.id)
    return pagination.paginate(query, [Assignment.judge_id, Assignment.submission_id], limit, cursor)


def judgeable(actor: User, submission_id: int) -> Submission:
    """A submission the actor sees as one of the organisation's judges, managers or owners."""
    submission = submissions.visible(actor, submission_id)
    policy.require_judge(actor, submission.challenge.organisation_id)
    return submission


def reviewable(actor: User, submission_id: int) -> Submission:
    """A submission the actor may review: a judging member, assigned when the challenge requires it."""
    submission = judgeable(actor, submission_id)
    challenge = submission.challenge
    if _declared_conflict(actor, submission):
        raise Forbidden(_("You declared a conflict of interest with this submission."))
    if policy.role(actor, challenge.organisation_id) is Role.JUDGE and not (challenge.judging or {}).get("allow_unassigned", True) \
            and not db.session.get(Assignment, (submission.id, actor.id)):
        raise Forbidden(_("This challenge's judges review only the submissions assigned to them."))
    return submission


def _declared_conflict(actor: User, submission: Submission) -> bool:
    return db.session.get(ConflictOfInterest, (submission.id, actor.id)) is not None


def review(actor: User, submission_id: int, *, scores: dict[str, float], comment: str = "") -> Review:
    """Record or replace the actor's review, after the deadline and before finalisation."""
    submission = reviewable(actor, submission_id)
    rubric.require_judged(submission.challenge)
    criteria = rubric.criteria_of(submission.challenge_id)
    _check_scores(criteria, scores)
    challenge = challenges.visible(actor, submission.challenge_id, lock=True)  # finalising waits for us
    if _declared_conflict(actor, submission):  # again under the lock: a declaration may have just committed
        raise Forbidden(_("You declared a conflict of interest with this submission."))
    now = clock.now()
    if challenge.phase_at(now) is not Phase.CLOSED:
        raise Conflict(_("Reviews are written after the deadline and before finalisation."))
    if submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict(_("A %(status)s submission is not reviewed.", status=submission.status))
    values = {"scores": {str(c.id): scores[str(c.id)] for c in criteria}, "comment": comment,
              "weighted_score": rubric.weighted_score(criteria, scores), "updated_at": now}
    _upsert_review(challenge, submission, actor, values, now)
    db.session.commit()
    return db.session.scalar(select(Review).options(selectinload(Review.judge)).where(
        Review.submission_id == submission.id, Review.judge_id == actor.id))


def _check_scores(criteria: list, scores: dict) -> None:
    """Every criterion scored once, from 0 to its max_score; nothing else."""
    if not criteria:
        raise Conflict(_("This challenge has no rubric yet; owners and managers set its criteria first."))
    known = {str(criterion.id): criterion for criterion in criteria}
    errors = {key: [_("No such criterion in this challenge's rubric.")] for key in scores if key not in known}
    for key, criterion in known.items():
        if key not in scores:
            errors[key] = [_("Score '%(name)s' (missing).", name=criterion.name)]
        elif not 0 <= scores[key] <= criterion.max_score:
            errors[key] = [_("Score '%(name)s' from 0 to %(max)s.", name=criterion.name,
                             max=format(criterion.max_score, "g"))]
    if errors:
        raise ValidationFailed.nested("scores", errors, _("Every criterion of the rubric needs a score in its range."))


def _upsert_review(challenge: Challenge, submission: Submission, actor: User, values: dict, now) -> None:
    """Insert the review, or update the one this judge already wrote (one per judge and submission)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Review).values(
        challenge_id=challenge.id, submission_id=submission.id, judge_id=actor.id, created_at=now, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=["submission_id", "judge_id"], set_=values))
    standings.after_review(challenge, submission.id)
    audit.record(actor, "review.saved", submission, challenge.organisation_id,
                 scores=values["scores"], weighted_score=values["weighted_score"])


def reviews(actor: User, submission_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """A submission's reviews: all of them for owners and managers, a judge's own for a judge."""
    submission = judgeable(actor, submission_id)
    rubric.require_judged(submission.challenge)
    query = select(Review).options(selectinload(Review.judge)).where(Review.submission_id == submission.id)
    if not policy.may_manage(actor, submission.challenge.organisation_id):
        query = query.where(Review.judge_id == actor.id)
    return pagination.paginate(query, [Review.id], limit, cursor)


def declare_conflict(actor: User, submission_id: int, reason: str) -> ConflictOfInterest:
    """Exclude the actor from judging a submission: their assignment and review of it go."""
    submission = judgeable(actor, submission_id)
    rubric.require_judged(submission.challenge)
    challenge = challenges.visible(actor, submission.challenge_id, lock=True)
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("Conflicts of interest are declared before finalisation."))
    declared = db.session.get(ConflictOfInterest, (submission.id, actor.id))
    if declared:
        return declared
    declared = ConflictOfInterest(submission_id=submission.id, judge_id=actor.id, challenge_id=challenge.id,
                                  reason=reason, declared_at=clock.now())
    db.session.add(declared)
    for model in (Assignment, Review):
        db.session.execute(delete(model).where(model.submission_id == submission.id, model.judge_id == actor.id))
    standings.after_review(challenge, submission.id)
    audit.record(actor, "conflict.declared", submission, challenge.organisation_id, reason=reason)
    db.session.commit()
    return declared


def set_shortlisted(actor: User, submission_id: int, shortlisted: bool) -> Submission:
    """Put a submission on the shortlist, or take it off, before finalisation."""
    submission = submissions.managed(actor, submission_id)
    challenge = challenges.manageable(actor, submission.challenge_id, lock=True)
    db.session.refresh(submission, with_for_update=True)
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("The shortlist is settled before finalisation."))
    if shortlisted and submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict(_("A %(status)s submission cannot be shortlisted.", status=submission.status))
    if submission.shortlisted != shortlisted:
        submission.shortlisted = shortlisted
        audit.record(actor, "submission.shortlisted" if shortlisted else "submission.unshortlisted",
                     submission, challenge.organisation_id)
    db.session.commit()
    return submission
