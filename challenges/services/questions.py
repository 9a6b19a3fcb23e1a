"""Questions on a challenge and the organisation's answers; official answers are clarifications."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict
from challenges.extensions import db
from challenges.models import Challenge, Moderation, ObjectType, Question, Status, User
from challenges.services import audit, challenges, events, moderation, notifications, policy

WITH_PEOPLE = (selectinload(Question.asker), selectinload(Question.answerer))


def askable(actor: User, challenge_id: int) -> Challenge:
    """A challenge the actor may ask about: visible, and not of the actor's own organisation."""
    challenge = challenges.visible(actor, challenge_id)
    policy.require(not policy.is_member(actor, challenge.organisation_id),
                   _("Members of the organisation answer questions; they do not ask them."))
    return challenge


def ask(actor: User, challenge_id: int, body: str) -> Question:
    """Ask a question on a published challenge (anyone signed in but the organisation's members)."""
    challenge = askable(actor, challenge_id)
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("Questions are taken while a challenge is published, not %(status)s.",
                         status=challenge.status))
    question = Question(challenge_id=challenge.id, asker_id=actor.id, body=body, created_at=clock.now())
    db.session.add(question)
    db.session.flush()
    if moderation.screen(actor, ObjectType.QUESTION, question) is Moderation.VISIBLE:
        asked(question)
    audit.record(actor, "question.asked", question, challenge.organisation_id)
    db.session.commit()
    return QuestionView(question, actor)


def asked(question: Question) -> None:
    """Tell the organisation's webhooks of a question asked (or, when it was held, approved)."""
    events.emit("question.asked", question.challenge, question=_data(question))


class QuestionView:
    """A question as one reader sees it: an answer that is held or hidden from them reads as none."""

    def __init__(self, question: Question, actor: User | None):
        self._question, self._actor = question, actor

    def __getattr__(self, name):
        return getattr(self._question, name)

    @property
    def asker(self) -> User | None:
        """Who asked, unless blind judging keeps the challenge's participants unknown to this reader."""
        question, actor = self._question, self._actor
        own = actor is not None and actor.id == question.asker_id
        return question.asker if own or not _askers_hidden(actor, question.challenge) else None

    @property
    def answer(self) -> dict | None:
        """The answer, when this reader may see it."""
        question, actor = self._question, self._actor
        answerer = actor is not None and actor.id == question.answerer_id
        return question.answer if policy.may_see_content(actor, question.answer_moderation, answerer) else None


def _askers_hidden(actor: User | None, challenge: Challenge) -> bool:
    """Blind judging hides who asked from all but owners and managers until finalisation: from the public too,
    or a judge would only have to read the questions signed out."""
    return policy.blind_until_final(challenge) and not policy.may_manage(actor, challenge.organisation_id)


def visible(actor: User | None, question_id: int) -> Question:
    """A question the actor may see: answered ones, their own, or any for members."""
    question = db.session.get(Question, question_id)
    if question is not None:
        challenge = challenges.visible(actor, question.challenge_id)
        asker = actor is not None and actor.id == question.asker_id
        answered = question.answered_at is not None and question.answer_moderation is Moderation.VISIBLE
        seen = policy.may_see_content(actor, question.moderation, asker) and (
            answered or asker or policy.is_member(actor, challenge.organisation_id))
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
    if question.answer_moderation is not Moderation.HIDDEN:  # a hidden answer stays hidden until restored
        question.answer_moderation = Moderation.VISIBLE
        if moderation.screen(actor, ObjectType.ANSWER, question) is Moderation.VISIBLE:
            answered(question)
    audit.record(actor, "question.answered" if first else "answer.replaced", question, challenge.organisation_id,
                 official=official)
    db.session.commit()
    return QuestionView(question, actor)


def answered(question: Question) -> None:
    """Tell the webhooks and the asker of an answer given (or, when it was held, approved)."""
    db.session.flush()
    data = {"question": _data(question)}
    events.emit("question.answered", question.challenge, **data)
    notifications.to_users("question.answered", [question.asker_id],
                           {"challenge": events.challenge_data(question.challenge), **data})


def _data(question: Question) -> dict:
    answered = question.answered_at is not None
    return {"id": question.id, "body": question.body, "asker_id": question.asker_id,
            "answer": {"body": question.answer_body, "official": question.answer_official} if answered else None}


def for_challenge(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """Answered questions for all; also the asker's own; every question for members. Newest first."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Question).options(*WITH_PEOPLE).where(Question.challenge_id == challenge.id)
    if not policy.is_member(actor, challenge.organisation_id):
        public = Question.answered_at.is_not(None) & (Question.moderation == Moderation.VISIBLE) \
            & (Question.answer_moderation == Moderation.VISIBLE)
        own = (Question.asker_id == actor.id) & (Question.moderation != Moderation.HIDDEN) if actor else None
        query = query.where(public | own if own is not None else public)
    elif not actor.is_admin:
        query = query.where(Question.moderation == Moderation.VISIBLE)
    return _viewed(pagination.paginate(query, [Question.id], limit, cursor, descending=True), actor)


def _viewed(page: pagination.Page, actor: User | None) -> pagination.Page:
    page.items = [QuestionView(question, actor) for question in page.items]
    return page


def clarifications(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The official answers of a challenge, newest first."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Question).options(*WITH_PEOPLE).where(
        Question.challenge_id == challenge.id, Question.answered_at.is_not(None), Question.answer_official,
        Question.moderation == Moderation.VISIBLE, Question.answer_moderation == Moderation.VISIBLE)
    return _viewed(pagination.paginate(query, [Question.id], limit, cursor, descending=True), actor)
