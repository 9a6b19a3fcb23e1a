"""An account's own data as one JSON document (GDPR art. 15 and 20), written piece by piece as it is read."""
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import or_, select

from challenges import clock
from challenges.extensions import db
from challenges.models import (
    Attachment, Award, Challenge, Flag, Invitation, Membership, Notification, Participation, Prize, Question,
    Revision, Status, Submission, Team, TeamMember, User,
)

FORMAT = "challenges.account-export/1"
BATCH = 200  # rows read at a time: an account with many submissions never sits in memory whole


def archive(actor: User) -> Iterator[str]:
    """The actor's data, as chunks of one JSON object: the profile, then one array per kind of record."""
    user_id = actor.id
    yield f'{{"format": {_json(FORMAT)}, "exported_at": {_json(clock.now())}, "profile": {_json(_profile(actor))}'
    for name, rows in _sections(user_id):
        yield f', "{name}": ['
        first = True
        for chunk in _batched(rows):
            yield ("" if first else ",") + ",".join(_json(row) for row in chunk)
            first = False
        yield "]"
    yield "}\n"


def _sections(user_id: int) -> list[tuple[str, Iterable[dict]]]:
    return [
        ("memberships", _memberships(user_id)), ("participations", _participations(user_id)),
        ("submissions", _submissions(user_id)), ("teams", _teams(user_id)),
        ("team_invitations", _invitations(user_id)), ("questions", _questions(user_id)),
        ("notifications", _notifications(user_id)), ("awards", _awards(user_id)), ("flags", _flags(user_id)),
    ]


def _json(value) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False)


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not exportable: {type(value).__name__}")


def _batched(rows: Iterable[dict]) -> Iterator[list[dict]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows(query) -> Iterator:
    """The query's rows, read BATCH at a time."""
    return db.session.scalars(query.execution_options(yield_per=BATCH))


def _profile(user: User) -> dict:
    """Everything the account says about its holder, but the password hash."""
    return {"id": user.id, "email": user.email, "pending_email": user.pending_email,
            "email_verified": user.email_verified, "display_name": user.display_name, "locale": user.locale,
            "time_zone": user.time_zone, "email_notifications": user.email_notifications, "is_admin": user.is_admin,
            "created_at": user.created_at, "suspended_at": user.suspended_at}


def _memberships(user_id: int) -> Iterator[dict]:
    query = select(Membership).where(Membership.user_id == user_id).order_by(Membership.organisation_id)
    for m in _rows(query):
        yield {"organisation_id": m.organisation_id, "role": m.role, "created_at": m.created_at}


def _participations(user_id: int) -> Iterator[dict]:
    query = select(Participation).where(Participation.user_id == user_id).order_by(Participation.id)
    for p in _rows(query):
        yield {"challenge_id": p.challenge_id, "terms_version": p.terms_version, "accepted_at": p.accepted_at,
               "registration": p.status, "answers": p.answers, "decided_at": p.decided_at,
               "refusal_reason": p.refusal_reason}


def _submissions(user_id: int) -> Iterator[dict]:
    """The actor's submissions, each with its revisions and the metadata of its attachments (not their bytes)."""
    final = select(Challenge.id).where(Challenge.status == Status.FINALISED)
    query = select(Submission, Submission.challenge_id.in_(final)).where(Submission.participant_id == user_id) \
        .order_by(Submission.id)
    for rows in db.session.execute(query.execution_options(yield_per=BATCH)).partitions():
        batch = [submission for submission, _final in rows]
        ids = [s.id for s in batch]
        revisions = _grouped(select(Revision).where(Revision.submission_id.in_(ids))
                             .order_by(Revision.submission_id, Revision.number), _revision)
        attachments = _grouped(select(Attachment).where(Attachment.submission_id.in_(ids))
                               .order_by(Attachment.id), _attachment)
        for s, finalised in rows:
            yield _submission(s, finalised) | {"revisions": revisions[s.id], "attachments": attachments[s.id]}


def _grouped(query, shape) -> defaultdict[int, list[dict]]:
    grouped = defaultdict(list)
    for row in db.session.scalars(query):
        grouped[row.submission_id].append(shape(row))
    return grouped


def _submission(s: Submission, finalised: bool) -> dict:
    """A submission as its author may read it: the private score only once the results are final."""
    return {"id": s.id, "challenge_id": s.challenge_id, "team_id": s.team_id, "title": s.title,
            "summary": s.summary, "body": s.body, "links": s.links, "status": s.status,
            "disqualification_reason": s.disqualification_reason, "submitted_at": s.submitted_at,
            "updated_at": s.updated_at, "content_sha256": s.content_sha256, "revision": s.revision,
            "public_score": s.public_score, "private_score": s.private_score if finalised else None,
            "selected": s.selected}


def _revision(r: Revision) -> dict:
    return {"number": r.number, "title": r.title, "summary": r.summary, "body": r.body, "links": r.links,
            "content_sha256": r.content_sha256, "created_at": r.created_at}


def _attachment(a: Attachment) -> dict:
    return {"id": a.id, "filename": a.filename, "size": a.size, "content_type": a.content_type,
            "sha256": a.sha256, "created_at": a.created_at}


def _teams(user_id: int) -> Iterator[dict]:
    query = select(TeamMember, Team).join(Team, Team.id == TeamMember.team_id) \
        .where(TeamMember.user_id == user_id).order_by(TeamMember.team_id)
    for member, team in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield {"team_id": team.id, "challenge_id": team.challenge_id, "name": team.name,
               "captain": team.captain_id == user_id, "joined_at": member.joined_at}


def _invitations(user_id: int) -> Iterator[dict]:
    """Invitations to the actor, and those the actor sent."""
    query = select(Invitation).where(or_(Invitation.user_id == user_id, Invitation.invited_by == user_id)) \
        .order_by(Invitation.id)
    for i in _rows(query):
        yield {"id": i.id, "team_id": i.team_id, "direction": "received" if i.user_id == user_id else "sent",
               "status": i.status, "created_at": i.created_at, "answered_at": i.answered_at}


def _questions(user_id: int) -> Iterator[dict]:
    query = select(Question).where(Question.asker_id == user_id).order_by(Question.id)
    for q in _rows(query):
        yield {"id": q.id, "challenge_id": q.challenge_id, "body": q.body, "created_at": q.created_at,
               "answer_body": q.answer_body, "answered_at": q.answered_at}


def _notifications(user_id: int) -> Iterator[dict]:
    query = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    for n in _rows(query):
        yield {"id": n.id, "kind": n.kind, "created_at": n.created_at, "read_at": n.read_at, "data": n.data}


def _awards(user_id: int) -> Iterator[dict]:
    """Prizes won by the actor's submissions, or by their teams', once the results are final (as GET /me/awards:
    before, an award is provisional and the organisation's alone)."""
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
    query = select(Award, Prize).join(Prize, Prize.id == Award.prize_id) \
        .join(Submission, Submission.id == Award.submission_id) \
        .join(Challenge, Challenge.id == Award.challenge_id) \
        .where(or_(Submission.participant_id == user_id, Submission.team_id.in_(teams)),
               Challenge.status == Status.FINALISED).order_by(Award.id)
    for award, prize in db.session.execute(query.execution_options(yield_per=BATCH)):
        reward = None if prize.amount is None else {"amount": prize.amount, "currency": prize.currency}
        yield {"id": award.id, "challenge_id": award.challenge_id, "submission_id": award.submission_id,
               "prize": {"id": prize.id, "rank": prize.rank, "title": prize.title, "reward": reward},
               "status": award.status, "awarded_at": award.awarded_at, "paid_at": award.paid_at,
               "payout_reference": award.payout_reference, "team_split": award.team_split}


def _flags(user_id: int) -> Iterator[dict]:
    query = select(Flag).where(Flag.user_id == user_id).order_by(Flag.id)
    for f in _rows(query):
        yield {"id": f.id, "object_type": f.object_type, "object_id": f.object_id, "reason": f.reason,
               "created_at": f.created_at}
