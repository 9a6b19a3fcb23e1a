"""Submitting, revising, withdrawing and disqualifying solutions."""
import hashlib
import json
from datetime import datetime
from functools import cache, partial

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, case, event, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, UnsupportedMediaType
from challenges.extensions import db
from challenges.models import (
    Attachment, Award, AwardStatus, Challenge, Evaluation, Moderation, ObjectType, Participation,
    Phase, RegistrationMode, Revision, Status, Submission, SubmissionStatus, Team, TeamMember, User,
)
from challenges.models.scoring import EvaluationFault
from challenges.services import (
    audit, challenges, events, moderation, notifications, policy, registrations, standings,
)
from challenges.telemetry.counters import SUBMISSIONS_RECEIVED, count_on_commit

ENTRY_CHECKED = "entry_checked"  # session.info: (challenge id, user id) found no member under the challenge's lock


def content_sha256(**content) -> str:
    """SHA-256 of the canonical JSON of a submission's content (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit(actor: User, challenge: Challenge, at: datetime, *, title: str, summary: str = "", body: str = "",
           links: list[str] = ()) -> Submission:
    """Store a submission that arrived at `at` and its first revision, inside the deadline and the limit."""
    require_open(challenge, at)
    participation, team_id = entrant_locked(actor, challenge)
    if challenge.max_submissions_per_participant is not None and \
            challenge.limit_reached(active_count(participation, team_id)):
        raise Conflict(_("You have reached this challenge's submission limit."))
    submission = add(actor, challenge, at, title=title, summary=summary, body=body, links=list(links),
                     team_id=team_id)
    count(challenge, at, +1)  # last: the challenge row stays locked only until the commit
    db.session.commit()
    return submission


def add(actor: User, challenge: Challenge, at: datetime, *, title: str, summary: str = "", body: str = "",
        links: list[str] = (), file_sha256: str | None = None, **fields) -> Submission:
    """A new submission with its first revision and its receipt in the audit log (not committed)."""
    content = {"title": title, "summary": summary, "body": body, "links": list(links)}
    digest = content_sha256(**content, **({"file_sha256": file_sha256} if file_sha256 else {}))
    submission = Submission(challenge_id=challenge.id, participant_id=actor.id, submitted_at=at, updated_at=at,
                            content_sha256=digest, **content, **fields)
    db.session.add(submission)
    db.session.flush()
    _keep_revision(submission, at)
    audit.record(actor, "submission.received", submission, challenge.organisation_id, sha256=digest)
    count_on_commit(SUBMISSIONS_RECEIVED.labels(challenge.evaluation))
    if moderation.screen(actor, ObjectType.SUBMISSION, submission) is Moderation.VISIBLE:
        received(submission)
    _notify(submission, challenge, "submission.received")  # a held submission still gets its receipt
    return submission


def received(submission: Submission) -> None:
    """Tell the organisation's webhooks of a submission received (or, when it was held, approved)."""
    events.emit("submission.received", submission.challenge, submission=events.submission_data(submission))


def _announce(submission: Submission, challenge: Challenge, event_type: str, notify: bool = False, **extra) -> None:
    """The event of a submission's change, and the author's notification when it concerns them."""
    events.emit(event_type, challenge, submission=events.submission_data(submission), **extra)
    if notify:
        _notify(submission, challenge, event_type, **extra)


def _notify(submission: Submission, challenge: Challenge, kind: str, **extra) -> None:
    """Tell the author and every teammate."""
    notifications.to_users(kind, [submission.participant_id, *team_member_ids(submission.team_id)], {
        "challenge": events.challenge_data(challenge), "submission": events.submission_data(submission), **extra})


def team_member_ids(team_id: int | None) -> list[int]:
    """The members of a team (none for no team)."""
    if team_id is None:
        return []
    return list(db.session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))


def submittable(actor: User, challenge_id: int) -> Challenge:
    """A challenge the actor may submit to: visible, and not of the actor's own organisation, as found under a
    key-share lock on the challenge that lasts until the commit (see _refuse_members_locked)."""
    policy.forget_roles()  # a role remembered from before the lock may be stale; visible() reads it after the lock
    challenge = challenges.visible(actor, challenge_id, lock=challenges.KEY_SHARE)
    policy.require(policy.may_submit(actor, challenge),
                   _("Members of the organisation cannot submit to its challenges."))
    db.session.info.setdefault(ENTRY_CHECKED, set()).add((challenge.id, actor.id))
    return challenge


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_entry_checks(session: Session) -> None:
    session.info.pop(ENTRY_CHECKED, None)  # the locks they relied on are gone


def require_json(challenge: Challenge) -> None:
    """Unsupported media type for a JSON body to a scored challenge, which takes a predictions file."""
    if challenge.evaluation is Evaluation.SCORED:
        raise UnsupportedMediaType(_("A scored challenge takes a predictions file: send multipart/form-data."))


def require_open(challenge: Challenge, at: datetime) -> None:
    """Conflict unless the challenge is open at `at`; a late participant learns when their request arrived."""
    phase = challenge.phase_at(at)
    if phase is Phase.CLOSED:
        raise Conflict(_("The challenge closed at %(closed)s; this request arrived at %(arrived)s.",
                         closed=challenge.closes_at.isoformat(), arrived=at.isoformat()))
    if phase is not Phase.OPEN:
        raise Conflict(_("The challenge is %(phase)s, not open for submissions.", phase=phase))


def join_locked(actor: User, challenge: Challenge) -> Participation:
    """Record the acceptance of the current terms and lock the participant's row, in one statement, once the
    actor is known, under the challenge's lock, to be no member of the organisation (found by submittable in
    this transaction, or here), and, unless registration is plainly open, to be an approved registrant."""
    if (challenge.id, actor.id) not in db.session.info.get(ENTRY_CHECKED, ()):
        _refuse_members_locked(actor, challenge)
    at = clock.now()
    if challenge.registration is not RegistrationMode.OPEN or challenge.registration_closes_at is not None:
        registrations.require_admitted(actor, challenge, at)  # the one registration check: skipped when plainly open
    values = {"challenge_id": challenge.id, "user_id": actor.id, "terms_version": challenge.terms_version,
              "accepted_at": at}
    return db.session.scalar(_joining(db.session.get_bind().dialect.name), values,
                             execution_options={"populate_existing": True})


@cache
def _joining(dialect_name: str):
    """The upsert that records a participant's acceptance, built once per database."""
    joining = (postgresql if dialect_name == "postgresql" else sqlite).insert(Participation).values(
        challenge_id=bindparam("challenge_id"), user_id=bindparam("user_id"),
        terms_version=bindparam("terms_version"), accepted_at=bindparam("accepted_at"))
    # An upsert locks the row it finds, as FOR UPDATE would; acceptance moves only with a new version of the terms.
    newer = Participation.terms_version != joining.excluded.terms_version
    return joining.on_conflict_do_update(index_elements=["challenge_id", "user_id"], set_={
        "accepted_at": case((newer, joining.excluded.accepted_at), else_=Participation.accepted_at),
        "terms_version": joining.excluded.terms_version,
    }).returning(Participation)


def _refuse_members_locked(actor: User, challenge: Challenge) -> None:
    """Forbidden to the organisation's members, checked under a key-share lock on the challenge: entrants pass
    side by side, but a role being granted holds the challenge (organisations.require_not_competing), so either
    the grant sees this entry or this check sees the new member."""
    db.session.execute(select(Challenge.id).where(Challenge.id == challenge.id)
                       .with_for_update(read=True, key_share=True))
    policy.forget_roles()  # the role read before the lock may be stale
    policy.require(policy.may_submit(actor, challenge),
                   _("Members of the organisation cannot submit to its challenges."))


def team_id_of(user_id: int, challenge_id: int) -> int | None:
    """The team the user is in for this challenge, if any."""
    return db.session.scalar(select(TeamMember.team_id).where(
        TeamMember.challenge_id == challenge_id, TeamMember.user_id == user_id))


def entrant_locked(actor: User, challenge: Challenge) -> tuple[Participation, int | None]:
    """Join the challenge and lock who the next submission counts for: the participant, then their team."""
    participation = join_locked(actor, challenge)
    return participation, lock_team_of(actor, challenge)


def lock_team_of(actor: User, challenge: Challenge) -> int | None:
    """Lock the actor's team for this challenge, if any, and return its id."""
    if challenge.max_team_size <= 1:  # teams form once published, and from then on the size only grows
        return None
    team_id = team_id_of(actor.id, challenge.id)
    while team_id:  # teammates submitting at once wait for each other, so the team's limit holds
        db.session.execute(select(Team.id).where(Team.id == team_id).with_for_update())
        current = team_id_of(actor.id, challenge.id)  # a merge or a removal may have moved us while we waited
        if current == team_id:
            break
        team_id = current
    return team_id


def entrant_filter(user_id: int, challenge_id: int, team_id: int | None):
    """The condition selecting the submissions that count for a team, or for a participant alone."""
    if team_id:
        return Submission.team_id == team_id
    return (Submission.challenge_id == challenge_id) & (Submission.participant_id == user_id) \
        & Submission.team_id.is_(None)


def participation_of(actor: User, challenge: Challenge, lock: bool = False) -> Participation | None:
    """The actor's participation in the challenge, if they joined it (locked until the commit if asked)."""
    query = select(Participation).where(Participation.challenge_id == challenge.id, Participation.user_id == actor.id)
    return db.session.scalar(query.with_for_update() if lock else query)


def active_count(participation: Participation, team_id: int | None) -> int:
    """Submissions that count toward the limit (the team's, or the participant's own when alone): not
    withdrawn, and not failed by our scoring."""
    return counted(participation.user_id, participation.challenge_id, team_id)


def counted(user_id: int | None, challenge_id: int, team_id: int | None) -> int:
    """How many submissions count toward the limit of a team, or of a participant alone."""
    return db.session.scalar(select(func.count()).select_from(Submission).where(
        entrant_filter(user_id, challenge_id, team_id),
        Submission.status != SubmissionStatus.WITHDRAWN,
        Submission.evaluation_fault.is_distinct_from(EvaluationFault.OURS)))  # failures of ours are free


# Built once: every submission and withdrawal moves the count. A table's UPDATE, so the session keeps the
# challenge as it is; count() expires the one attribute it moved.
_challenge = Challenge.__table__.c
COUNT_WHILE_OPEN = update(Challenge.__table__).where(
    _challenge.id == bindparam("challenge_id"), _challenge.status == Status.PUBLISHED,
    _challenge.opens_at <= bindparam("at"), _challenge.closes_at > bindparam("at"),
).values(submission_count=_challenge.submission_count + bindparam("delta", type_=Integer))


def count(challenge: Challenge, at: datetime, delta: int) -> None:
    """Move submission_count, in the database, only while the challenge is open at `at`."""
    result = db.session.execute(COUNT_WHILE_OPEN, {"challenge_id": challenge.id, "at": at, "delta": delta})
    if result.rowcount != 1:
        raise Conflict(_("The challenge is not open for submissions."))
    db.session.expire(challenge, ["submission_count"])


# Built once: every submission and every edit keeps a revision.
INSERT_REVISION = insert(Revision.__table__)


def _keep_revision(submission: Submission, at: datetime) -> None:
    db.session.execute(INSERT_REVISION, {
        "submission_id": submission.id, "number": submission.revision, "title": submission.title,
        "summary": submission.summary, "body": submission.body, "links": submission.links,
        "content_sha256": submission.content_sha256, "created_at": at})


def visible(actor: User | None, submission_id: int) -> Submission:
    """A submission the actor may see: its author, the organisation, or anyone for a public winner."""
    submission = db.session.get(Submission, submission_id)
    policy.visible_or_404(submission is not None and _may_see(actor, submission), "submission")
    return submission


def read(actor: User | None, submission_id: int):
    """A submission as the actor may see it."""
    return as_seen_by(actor, visible(actor, submission_id))


class SubmissionView:
    """A submission as one reader sees it: blind judges do not learn its author; members see the
    private score after the deadline."""

    def __init__(self, submission: Submission, *, hide_author: bool, show_private: bool):
        self._submission, self._hide_author, self._show_private = submission, hide_author, show_private

    def __getattr__(self, name):
        return getattr(self._submission, name)

    @property
    def participant(self):
        """The author, unless hidden."""
        return None if self._hide_author else self._submission.participant

    @property
    def team(self):
        """The team, unless authors are hidden."""
        return None if self._hide_author else self._submission.team

    @property
    def evaluation(self) -> dict | None:
        """The scoring, with the private score when this reader may see it."""
        evaluation = self._submission.evaluation
        if evaluation and self._show_private:
            evaluation["private_score"] = self._submission.private_score
        return evaluation


def as_seen_by(actor: User | None, submission: Submission) -> SubmissionView:
    """The submission as the actor may see it."""
    return viewer(actor, submission.challenge)(submission)


def viewer(actor: User | None, challenge: Challenge):
    """A function giving the actor's view of any submission to this challenge."""
    member_after_deadline = policy.is_member(actor, challenge.organisation_id) and \
        challenge.phase in (Phase.CLOSED, Phase.FINALISED)
    return partial(SubmissionView, hide_author=policy.authors_hidden(actor, challenge),
                   show_private=member_after_deadline)


def _may_see(actor: User | None, submission: Submission) -> bool:
    challenge = submission.challenge
    author = actor is not None and (actor.id == submission.participant_id or _in_team(actor, submission))
    if not policy.may_see_content(actor, submission.moderation, author):
        return False
    if author or policy.is_member(actor, challenge.organisation_id):
        return True
    return challenge.status is Status.FINALISED and challenge.publish_winning_submissions and \
        db.session.scalar(select(exists().where(
            Award.submission_id == submission.id, Award.status != AwardStatus.CANCELLED)))


def _in_team(actor: User, submission: Submission) -> bool:
    """Whether the actor is in the team the submission belongs to."""
    return submission.team_id is not None and db.session.get(TeamMember, (submission.team_id, actor.id)) is not None


def for_challenge(actor: User, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """All submissions for members; a participant's own and their team's for everyone else."""
    challenge = challenges.visible(actor, challenge_id)
    # A range rather than `==`, and the challenge in the sort key: PostgreSQL then walks the (challenge, id) index
    # from this challenge's first submission, instead of the whole table's, which a busy recent challenge needs.
    query = select(Submission).options(selectinload(Submission.participant), selectinload(Submission.team)) \
        .where(Submission.challenge_id.between(challenge.id, challenge.id))
    if not policy.is_member(actor, challenge.organisation_id):
        team_id = team_id_of(actor.id, challenge.id)
        query = query.where((Submission.participant_id == actor.id) | (Submission.team_id == team_id)
                            if team_id else Submission.participant_id == actor.id,
                            Submission.moderation != Moderation.HIDDEN)
    elif not actor.is_admin:  # held and hidden submissions are for their authors and platform admins
        query = query.where(Submission.moderation == Moderation.VISIBLE)
    page = pagination.paginate(query, [Submission.challenge_id, Submission.id], limit, cursor)
    page.items = list(map(viewer(actor, challenge), page.items))
    return page


def authored(actor: User, submission_id: int) -> Submission:
    """The actor's own submission, or their team's; 403 to members, who may only read it."""
    submission = visible(actor, submission_id)
    mine = _in_team(actor, submission) if submission.team_id else submission.participant_id == actor.id
    policy.require(mine, _("Only the author, or their team, may change a submission."))
    return submission


def locked_own(actor: User, submission_id: int) -> Submission:
    """The actor's own submission, its challenge and then itself locked until the commit."""
    submission = authored(actor, submission_id)
    challenges.visible(actor, submission.challenge_id, lock=True)
    _lock(submission)
    return submission


def _lock(submission: Submission) -> None:
    """Re-read the submission under a row lock; locks are always taken challenge first."""
    db.session.refresh(submission, with_for_update=True)


def revise(actor: User, submission_id: int, **changes) -> Submission:
    """Edit a submission while the challenge is open: a new revision with its SHA-256."""
    submission = locked_own(actor, submission_id)
    at = clock.now()
    require_editable(submission, at)
    content = _content(submission) | {field: list(value) if field == "links" else value
                                      for field, value in changes.items()}
    digest = _digest(submission, content)
    if digest == submission.content_sha256:
        return submission  # nothing changed: no new revision
    for field, value in content.items():
        setattr(submission, field, value)
    _new_revision(actor, submission, digest, at)
    moderation.screen(actor, ObjectType.SUBMISSION, submission, edited=True)  # an edit may not smuggle spam in
    db.session.commit()
    return submission


def _content(submission: Submission) -> dict:
    return {field: getattr(submission, field) for field in ("title", "summary", "body", "links")}


def _digest(submission: Submission, content: dict) -> str:
    """The SHA-256 of the content and, when there are any, of the attached files' hashes."""
    files = sorted(db.session.scalars(select(Attachment.sha256).where(Attachment.submission_id == submission.id)))
    return content_sha256(**content, **({"attachments": files} if files else {}))


def _new_revision(actor: User, submission: Submission, digest: str, at: datetime) -> None:
    submission.content_sha256 = digest
    submission.revision += 1
    submission.updated_at = at
    _keep_revision(submission, at)
    audit.record(actor, "submission.revised", submission, submission.challenge.organisation_id,
                 revision=submission.revision, sha256=submission.content_sha256)


def files_changed(actor: User, submission: Submission, at: datetime) -> None:
    """A new revision whose SHA-256 covers the files now attached (not committed)."""
    db.session.flush()
    _new_revision(actor, submission, _digest(submission, _content(submission)), at)


def require_editable(submission: Submission, at: datetime) -> None:
    """Conflict unless the submission can still change: open, submitted, and not a predictions file."""
    require_open(submission.challenge, at)
    if submission.challenge.evaluation is Evaluation.SCORED:
        raise Conflict(_("Predictions cannot be edited; submit a new file instead."))
    if submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict(_("A %(status)s submission cannot be edited.", status=submission.status))


def withdraw(actor: User, submission_id: int) -> Submission:
    """Withdraw a submission while open: it stays visible but no longer counts."""
    submission = authored(actor, submission_id)
    at = clock.now()
    require_open(submission.challenge, at)
    _require_withdrawable(submission)
    count(submission.challenge, at, -1)
    _lock(submission)
    _require_withdrawable(submission)  # again under the lock: a concurrent withdrawal may have won
    submission.status, submission.updated_at = SubmissionStatus.WITHDRAWN, at
    audit.record(actor, "submission.withdrawn", submission, submission.challenge.organisation_id)
    _announce(submission, submission.challenge, "submission.withdrawn")
    db.session.commit()
    return submission


def _require_withdrawable(submission: Submission) -> None:
    if submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict(_("A %(status)s submission cannot be withdrawn.", status=submission.status))


def managed(actor: User, submission_id: int) -> Submission:
    """A submission to a challenge the actor runs; 404 when hidden, 403 when only visible."""
    submission = visible(actor, submission_id)
    challenges.manageable(actor, submission.challenge_id)
    return submission


def disqualify(actor: User, submission_id: int, reason: str) -> Submission:
    """Disqualify a submission before finalisation; an award must be revoked first."""
    submission = managed(actor, submission_id)
    challenge = challenges.manageable(actor, submission.challenge_id, lock=True)
    _lock(submission)
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("Submissions can only be disqualified before finalisation."))
    if submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict(_("A %(status)s submission cannot be disqualified.", status=submission.status))
    if db.session.scalar(select(exists().where(Award.submission_id == submission.id))):
        raise Conflict(_("This submission holds an award; revoke the award first."))
    submission.status, submission.disqualification_reason = SubmissionStatus.DISQUALIFIED, reason
    submission.updated_at = clock.now()
    standings.after_leaving(challenge)
    audit.record(actor, "submission.disqualified", submission, challenge.organisation_id, reason=reason)
    _announce(submission, challenge, "submission.disqualified", notify=True, reason=reason)
    db.session.commit()
    return submission
