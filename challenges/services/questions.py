"""Questions on a challenge and the organisation's answers; official answers are clarifications."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict
from challenges.extensions import db
from challenges.models import Challenge, Question, Status, User
from challenges.services import audit, challenges, events, notifications, policy

WITH_PEOPLE = (selectinload(Question.asker), selectinload(Question.answerer))


def askable(actor: User, challenge_id: int) -> Challenge:
    """A challenge the actor may ask about: visible, and not of the actor's own organisation."""
    challenge = challenges.visible(actor, challenge_id)
    policy.require(not policy.is_member(actor, challenge.organisation_id),
                   "Members of the organisation answer questions; they do not ask them.")
    return challenge


def ask(actor: User, challenge_id: int, body: str) -> Question:
    """Ask a question on a published challenge (anyone signed in but the organisation's members)."""
    challenge = askable(actor, challenge_id)
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(f"Questions are taken while a challenge is published, not {challenge.status}.")
    question = Question(challenge_id=challenge.id, asker_id=actor.id, body=body, created_at=clock.now())
    db.session.add(question)
    db.session.flush()
    events.emit("question.asked", challenge, question=_data(question))
    audit.record(actor, "question.asked", question, challenge.organisation_id)
    db.session.commit()
    return question


def visible(actor: User | None, question_id: int) -> Question:
    """A question the actor may see: answered ones, their own, or any for members."""
    question = db.session.get(Question, question_id)
    if question is not None:
        challenge = challenges.visible(actor, question.challenge_id)
        seen = question.answered_at is not None or (actor is not None and actor.id == question.asker_id) \
            or policy.is_member(actor, challenge.organisation_id)
    policy.visible_or_404(question is not None and seen, "question")
    return question


def answer(actor: User, question_id: int, *, body: str, official: bool = False) -> Question:
    """Answer a question (or replace the answer); official answers are listed as clarifications."""
    question = visible(actor, question_id)
    challenge = challenges.manageable(actor, question.challenge_id)
    db.session.refresh(question, with_for_update=True)
    first = question.answered_at is None
    question.answer_body, question.answer_official = body, official
    question.answerer_id, question.answered_at = actor.id, clock.now()
    db.session.flush()
    data = {"question": _data(question)}
    events.emit("question.answered", challenge, **data)
    notifications.to_users("question.answered", [question.asker_id],
                           {"challenge": events.challenge_data(challenge), **data})
    audit.record(actor, "question.answered" if first else "answer.replaced", question, challenge.organisation_id,
                 official=official)
    db.session.commit()
    return question


def _data(question: Question) -> dict:
    answered = question.answered_at is not None
    return {"id": question.id, "body": question.body, "asker_id": question.asker_id,
            "answer": {"body": question.answer_body, "official": question.answer_official} if answered else None}


def for_challenge(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """Answered questions for all; also the asker's own; every question for members. Newest first."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Question).options(*WITH_PEOPLE).where(Question.challenge_id == challenge.id)
    if not policy.is_member(actor, challenge.organisation_id):
        seen = Question.answered_at.is_not(None)
        query = query.where(seen | (Question.asker_id == actor.id) if actor else seen)
    return pagination.paginate(query, [Question.id], limit, cursor, descending=True)


def clarifications(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The official answers of a challenge, newest first."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Question).options(*WITH_PEOPLE).where(
        Question.challenge_id == challenge.id, Question.answered_at.is_not(None), Question.answer_official)
    return pagination.paginate(query, [Question.id], limit, cursor, descending=True)
