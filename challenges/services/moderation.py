"""Moderation: holding likely spam, flags, the admins' queue and decisions, and suspensions."""
import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    AuditEntry, CaseStatus, Challenge, Flag, Membership, Moderation, ModerationCase, ObjectType, Organisation, Question,
    Submission, Team, User,
)
from challenges.services import accounts, audit, policy, spam
from challenges.telemetry.counters import CONTENT_HELD, count_on_commit

EARLIER = 50  # recent items of the same kind a new item is compared with
EXCERPT = 280
# A name is shown wherever its bearer is, so spam packs its pitch into it: a way to get in touch (a link, an email
# address, a phone number) has no place in one. A bare domain is a fair name ("Booking.com"); one with a path is not.
CONTACT = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w|\b[\w-]+\.[a-z]{2,}/"  # links, addresses
                     r"|(?<![\w+])(?:\+|\b0)\d[\d\s().-]{6,16}\d", re.IGNORECASE)  # phone numbers


MODELS = {ObjectType.CHALLENGE: Challenge, ObjectType.SUBMISSION: Submission,
          ObjectType.QUESTION: Question, ObjectType.ANSWER: Question,  # an answer lives on its question
          ObjectType.ORGANISATION: Organisation, ObjectType.TEAM: Team}
TEXT_COLUMNS = {
    ObjectType.CHALLENGE: (Challenge.title, Challenge.summary, Challenge.description),
    ObjectType.SUBMISSION: (Submission.title, Submission.summary, Submission.body, Submission.links),
    ObjectType.QUESTION: (Question.body,),
    ObjectType.ANSWER: (Question.answer_body,),
    ObjectType.ORGANISATION: (Organisation.name, Organisation.description, Organisation.website),
    ObjectType.TEAM: (Team.chosen_name,),
}
NAMED = {ObjectType.ORGANISATION: "name", ObjectType.TEAM: "chosen_name"}  # kinds whose name is read as a name


def _text(object_type: ObjectType, obj) -> str:
    """The words of a piece of content that the filter reads and the queue shows."""
    match object_type:
        case ObjectType.CHALLENGE:
            return "\n".join([obj.title, obj.summary or "", obj.description or ""])
        case ObjectType.SUBMISSION:
            return "\n".join([obj.title, obj.summary or "", obj.body or "", *obj.links])
        case ObjectType.QUESTION:
            return obj.body
        case ObjectType.ANSWER:
            return obj.answer_body or ""
        case ObjectType.ORGANISATION:
            return "\n".join([obj.name, obj.description or "", obj.website or ""])
        case ObjectType.TEAM:
            return obj.chosen_name


def _earlier(object_type: ObjectType, obj, author: User) -> list[str]:
    """The text of the latest items of the same kind that the author may see: their own and public ones, since a
    comparison with content hidden from them would tell them what it says. Only the text columns are read."""
    model = MODELS[object_type]
    query = select(*TEXT_COLUMNS[object_type]).where(model.id != obj.id, _seen_by(object_type, obj, author)) \
        .order_by(model.id.desc()).limit(EARLIER)
    return [_text(object_type, other)[:5000] for other in db.session.execute(query)]


def _seen_by(object_type: ObjectType, obj, author: User):
    """The condition selecting the items of a kind that the author may see."""
    match object_type:
        case ObjectType.CHALLENGE:
            public = Challenge.published_at.is_not(None) & (Challenge.moderation == Moderation.VISIBLE)
            return public | (Challenge.organisation_id == obj.organisation_id)
        case ObjectType.SUBMISSION:
            return Submission.participant_id == author.id
        case ObjectType.QUESTION:
            public = Question.answered_at.is_not(None) & (Question.moderation == Moderation.VISIBLE)
            return public | (Question.asker_id == author.id)
        case ObjectType.ANSWER:
            return Question.answered_at.is_not(None) & (
                (Question.answer_moderation == Moderation.VISIBLE) | (Question.answerer_id == author.id))
        case ObjectType.ORGANISATION:
            own = select(Membership.organisation_id).where(Membership.user_id == author.id)
            return (Organisation.moderation == Moderation.VISIBLE) | Organisation.id.in_(own)
        case ObjectType.TEAM:
            return Team.captain_id == author.id


def screen(author: User, object_type: ObjectType, obj, edited: bool = False) -> Moderation:
    """Hold new or edited content (flushed, not committed) when it looks like spam from an untrusted author, and a
    new challenge of an organisation that is itself held or hidden, whoever but a platform admin drafts it."""
    reasons = _organisation_unseen(author, obj) if object_type is ObjectType.CHALLENGE and not edited else []
    if spam.applies_to(author):
        reasons += spam.reasons_to_hold(_text(object_type, obj), _earlier(object_type, obj, author))
        if object_type in NAMED:
            reasons += name_reasons(getattr(obj, NAMED[object_type]))
    if not reasons:
        return Moderation.VISIBLE
    _set(object_type, obj, Moderation.HELD)
    count_on_commit(CONTENT_HELD.labels(object_type))
    case = _case(object_type, obj.id, author.id, _text(object_type, obj))
    case.reasons = sorted(set(case.reasons) | set(reasons))
    case.announced = case.announced or edited  # an edit holds what the organisation already heard of
    return Moderation.HELD


def _organisation_unseen(author: User, challenge: Challenge) -> list[str]:
    """Why a new challenge waits for its organisation: one held or hidden as spam publishes nothing unreviewed."""
    organisation = db.session.get(Organisation, challenge.organisation_id)
    if organisation.moderation is Moderation.VISIBLE or author.is_admin:
        return []
    return [f"organisation {organisation.moderation}"]


def name_reasons(name: str) -> list[str]:
    """Why a name reads like spam: any sign the filter knows, even one too light to hold a longer text (a name has
    no room for context), or a way to get in touch. A spam category's word alone is a name ("Loan Nguyen")."""
    reasons = list(spam.signals(name, []))
    if CONTACT.search(name):
        reasons.append("contact details in a name")
    return reasons


def require_plain_name(field: str, name: str) -> None:
    """422 for a name that reads like spam (unless the filter is switched off): it would be shown on every read.
    The answer does not say which sign it found, which would teach a spammer the way around it."""
    if current_app.config["SPAM_FILTER_ENABLED"] and name_reasons(name):
        raise ValidationFailed(field, _("A name cannot carry links, contact details or advertising; choose another."))


def _case(object_type: ObjectType, object_id: int, author_id: int | None, text: str) -> ModerationCase:
    """The object's case, opened (again) for the queue and locked until the commit."""
    now = clock.now()
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(ModerationCase).values(  # of two at once, one inserts and both lock it
        object_type=object_type, object_id=object_id, author_id=author_id, reasons=[], flags=0,
        excerpt=" ".join(text.split())[:EXCERPT], status=CaseStatus.OPEN, opened_at=now, announced=False,
    ).on_conflict_do_nothing(index_elements=["object_type", "object_id"]))
    case = db.session.scalar(select(ModerationCase).where(
        ModerationCase.object_type == object_type, ModerationCase.object_id == object_id)
        .with_for_update().execution_options(populate_existing=True))
    if case.status is CaseStatus.CLOSED:
        case.status, case.opened_at, case.reasons = CaseStatus.OPEN, now, []
    return case


def _set(object_type: ObjectType, obj, moderation: Moderation) -> None:
    if object_type is ObjectType.ANSWER:
        obj.answer_moderation = moderation
    else:
        obj.moderation = moderation


def state(object_type: ObjectType, obj) -> Moderation:
    """The object's moderation state."""
    return obj.answer_moderation if object_type is ObjectType.ANSWER else obj.moderation


def find(actor: User | None, object_type: ObjectType, object_id: int):
    """The flaggable object, if the actor may see it; NotFound otherwise."""
    # Imported here: each of them screens its content through this module.
    from challenges.services import challenges, organisations, questions, submissions, teams

    match object_type:
        case ObjectType.CHALLENGE:
            return challenges.visible(actor, object_id)
        case ObjectType.SUBMISSION:
            return submissions.visible(actor, object_id)
        case ObjectType.QUESTION:
            return questions.visible(actor, object_id)
        case ObjectType.ANSWER:
            question = questions.visible(actor, object_id)
            policy.visible_or_404(question.answered_at is not None and policy.may_see_content(
                actor, question.answer_moderation, actor is not None and actor.id == question.answerer_id), "answer")
            return question
        case ObjectType.ORGANISATION:
            return organisations.get(object_id)  # organisations are public, their name hidden while held
        case ObjectType.TEAM:
            return teams.visible(actor, object_id)


def author_of(object_type: ObjectType, obj) -> int | None:
    """Who wrote the content: for a challenge, an organisation or a team, who created it (from the audit log)."""
    match object_type:
        case ObjectType.SUBMISSION:
            return obj.participant_id
        case ObjectType.QUESTION:
            return obj.asker_id
        case ObjectType.ANSWER:
            return obj.answerer_id
    kind = MODELS[object_type].__tablename__
    return db.session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.object_type == kind, AuditEntry.object_id == obj.id, AuditEntry.action == f"{kind}.created"))


def flag(actor: User, *, object_type: ObjectType, object_id: int, reason: str) -> Flag:
    """Report content one can see; a second flag by the same user on the same object is the first one."""
    obj = find(actor, object_type, object_id)
    existing = _flag_of(actor, object_type, object_id)
    if existing:
        return existing
    flag_row = Flag(object_type=object_type, object_id=object_id, user_id=actor.id, reason=reason,
                    created_at=clock.now())
    db.session.add(flag_row)
    try:
        db.session.flush()
    except IntegrityError:  # the same user flagged it at the same moment
        db.session.rollback()
        return _flag_of(actor, object_type, object_id)
    case = _case(object_type, object_id, author_of(object_type, obj), _text(object_type, obj))
    case.flags += 1
    case.reasons = sorted(set(case.reasons) | {f"flagged: {reason[:100]}"})
    db.session.commit()
    return flag_row


def _flag_of(actor: User, object_type: ObjectType, object_id: int) -> Flag | None:
    return db.session.scalar(select(Flag).where(
        Flag.object_type == object_type, Flag.object_id == object_id, Flag.user_id == actor.id))


def queue(actor: User, limit: int, cursor: str | None) -> pagination.Page:
    """Held and flagged content, oldest first (platform admins)."""
    require_admin(actor)
    query = select(ModerationCase).where(ModerationCase.status == CaseStatus.OPEN)
    page = pagination.paginate(query.options(selectinload(ModerationCase.author)), [ModerationCase.id], limit, cursor)
    objects = _objects_of(page.items)
    page.items = [_entry(case, objects.get((MODELS[case.object_type], case.object_id))) for case in page.items]
    return page


def _objects_of(cases: list[ModerationCase]) -> dict:
    """The content of these cases, one query per kind: (model, id) -> object."""
    wanted: dict = {}
    for case in cases:
        wanted.setdefault(MODELS[case.object_type], set()).add(case.object_id)
    return {(model, obj.id): obj for model, ids in wanted.items()
            for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _entry(case: ModerationCase, obj) -> dict:
    return {"object_type": case.object_type, "object_id": case.object_id,
            "moderation": state(case.object_type, obj) if obj else None, "reasons": case.reasons,
            "flags": case.flags, "author": case.author, "excerpt": case.excerpt, "opened_at": case.opened_at}


def _load(object_type: ObjectType, object_id: int):
    return db.session.get(MODELS[object_type], object_id)


def require_admin(actor: User, *_ignored) -> None:
    """Platform admins only."""
    policy.require(actor.is_admin, _("Only platform admins moderate."))


ALLOWED = {  # decision: the states it applies to, and the state it leads to
    "approve": ({Moderation.HELD, Moderation.VISIBLE}, Moderation.VISIBLE),
    "hide": ({Moderation.HELD, Moderation.VISIBLE}, Moderation.HIDDEN),
    "restore": ({Moderation.HIDDEN}, Moderation.VISIBLE),
}


def decidable(actor: User, object_type: ObjectType, object_id: int):
    """Content a platform admin may decide on; 403 to everyone else, then 404 when there is none."""
    require_admin(actor)
    obj = _load(object_type, object_id)
    if obj is None or (object_type is ObjectType.ANSWER and obj.answered_at is None):
        raise policy.not_found(object_type)
    return obj


def decide(actor: User, object_type: ObjectType, object_id: int, decision: str, note: str | None = None) -> dict:
    """Approve, hide or restore a piece of content; the case leaves the queue and the decision is audited."""
    obj = decidable(actor, object_type, object_id)
    if object_type not in (ObjectType.CHALLENGE, ObjectType.ORGANISATION):  # locks go challenge first, as elsewhere
        db.session.get(Challenge, obj.challenge_id, with_for_update=True, populate_existing=True)
    db.session.refresh(obj, with_for_update=True)
    before = state(object_type, obj)
    sources, after = ALLOWED[decision]
    if before not in sources:
        raise Conflict(_("Content that is %(state)s cannot be given '%(decision)s'.", state=before, decision=decision))
    _set(object_type, obj, after)
    case = _case(object_type, object_id, author_of(object_type, obj), _text(object_type, obj))
    case.status, case.decided_at, case.decided_by, case.decision, case.note = \
        CaseStatus.CLOSED, clock.now(), actor.id, decision, note
    audit.record(actor, f"moderation.{decision}", obj, _organisation_of(object_type, obj),
                 object_type=str(object_type), before=str(before), after=str(after), note=note)
    if before is Moderation.HELD and after is Moderation.VISIBLE and not case.announced:
        _published(object_type, obj)
    db.session.commit()
    return {"object_type": object_type, "object_id": object_id, "moderation": after}


def _organisation_of(object_type: ObjectType, obj) -> int:
    match object_type:
        case ObjectType.CHALLENGE:
            return obj.organisation_id
        case ObjectType.ORGANISATION:
            return obj.id
        case ObjectType.TEAM:
            return db.session.get(Challenge, obj.challenge_id).organisation_id
    return obj.challenge.organisation_id


def _published(object_type: ObjectType, obj) -> None:
    """Held content, once approved, tells the organisation what it would have told it at once."""
    from challenges.services import questions, submissions

    match object_type:
        case ObjectType.SUBMISSION:
            submissions.received(obj)
        case ObjectType.QUESTION:
            questions.asked(obj)
        case ObjectType.ANSWER:
            questions.answered(obj)


def suspendable(actor: User, user_id: int) -> User:
    """A user a platform admin may suspend; 403 to everyone else, then 404 when there is none."""
    require_admin(actor)
    user = db.session.get(User, user_id)
    policy.visible_or_404(user is not None, "user")
    return user


def suspend(actor: User, user_id: int, reason: str) -> User:
    """Suspend a user: they cannot sign in, and their tokens stop working at once."""
    user = suspendable(actor, user_id)
    if user.id == actor.id:
        raise Conflict(_("Platform admins cannot suspend themselves."))
    user.suspended_at, user.suspension_reason = user.suspended_at or clock.now(), reason
    accounts.revoke_all_tokens(user)
    audit.record(actor, "user.suspended", user, None, reason=reason)
    db.session.commit()
    return user


def unsuspend(actor: User, user_id: int) -> None:
    """Lift a suspension; the user signs in afresh (a token issued while the suspension took hold dies too)."""
    user = suspendable(actor, user_id)
    if user.suspended_at:
        accounts.revoke_all_tokens(user)
    user.suspended_at, user.suspension_reason = None, None
    audit.record(actor, "user.unsuspended", user, None)
    db.session.commit()
