"""Registering for a challenge before submitting: the terms, the form's answers, and the organisation's approval."""
import pycountry
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    Challenge, Participation, RegistrationMode, RegistrationStatus, Status, Submission, SubmissionStatus, TeamMember,
    User,
)
from challenges.services import audit, challenges, events, notifications, policy


def participation_of(actor: User, challenge: Challenge, lock: bool = False) -> Participation | None:
    """The actor's registration for the challenge, if any (locked until the commit if asked)."""
    query = select(Participation).where(Participation.challenge_id == challenge.id, Participation.user_id == actor.id)
    return db.session.scalar(query.with_for_update() if lock else query)


def mine(actor: User, challenge_id: int) -> Participation:
    """The actor's registration for a challenge they may see; 404 when they have none."""
    challenge = challenges.visible(actor, challenge_id)
    participation = participation_of(actor, challenge)
    policy.visible_or_404(participation is not None, "registration")
    return participation


def register(actor: User, challenge: Challenge, *, answers: dict) -> Participation:
    """Accept the current terms and answer the form, without submitting: pending when the challenge wants approval.
    `challenge` comes from submissions.submittable, which refused members under the challenge's lock."""
    answers = checked_answers(challenge.registration_form, answers)
    at = clock.now()
    if participation_of(actor, challenge) is not None:
        raise Conflict(_("You are already registered for this challenge."))
    if not challenge.registering_at(at):
        raise Conflict(_("This challenge takes no new registrations."))
    pending = challenge.registration is RegistrationMode.APPROVAL
    participation = Participation(
        challenge_id=challenge.id, user_id=actor.id, terms_version=challenge.terms_version, accepted_at=at,
        answers=answers, status=RegistrationStatus.PENDING if pending else RegistrationStatus.APPROVED)
    db.session.add(participation)
    try:
        db.session.flush()
    except IntegrityError:  # the same registrant, twice at once: the first one stands
        db.session.rollback()
        raise Conflict(_("You are already registered for this challenge.")) from None
    audit.record(actor, "registration.created", challenge, challenge.organisation_id, user_id=actor.id,
                 status=participation.status.value)
    db.session.commit()
    return participation


def checked_answers(form: list[dict], answers: dict) -> dict:
    """The answers to the form, each checked against its question; 422 naming the first question that fails."""
    questions = {question["id"]: question for question in form}
    for question_id in answers:
        if question_id not in questions:
            raise ValidationFailed.nested("answers", {question_id: [_("No such question.")]},
                                          _("The answers name a question the form does not have."))
    for question in form:
        problem = _problem(question, answers.get(question["id"]))
        if problem:
            raise ValidationFailed.nested("answers", {question["id"]: [problem]},
                                          _("The answer to %(question)s is not valid.", question=question["id"]))
    return answers


def _problem(question: dict, answer) -> str | None:
    """Why an answer does not fit its question, if it does not."""
    if answer is None or answer == "":
        return _("This question requires an answer.") if question.get("required") else None
    kind = question["type"]
    if kind == "boolean":
        return None if isinstance(answer, bool) else _("Answer true or false.")
    if not isinstance(answer, str):
        return _("Answer with a string.")
    if kind == "choice" and answer not in question["choices"]:
        return _("Not one of the choices.")
    if kind == "country" and not (answer.isupper() and pycountry.countries.get(alpha_2=answer)):
        return _("Not an ISO 3166-1 alpha-2 country code.")
    return None


def unregister(actor: User, challenge_id: int) -> None:
    """Withdraw a registration while the registrant has no active submission and is in no team."""
    challenge = challenges.visible(actor, challenge_id)
    participation = participation_of(actor, challenge, lock=True)  # a submission racing this one waits, or we do
    policy.visible_or_404(participation is not None, "registration")
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("A %(status)s challenge's registrations no longer change.", status=challenge.status))
    if _has_active_submission(actor, challenge) or _in_team(actor, challenge):
        raise Conflict(_("Withdraw your submissions and leave your team before unregistering."))
    audit.record(actor, "registration.deleted", challenge, challenge.organisation_id, user_id=actor.id)
    db.session.delete(participation)
    db.session.commit()


def _has_active_submission(actor: User, challenge: Challenge) -> bool:
    return db.session.scalar(select(exists().where(
        Submission.challenge_id == challenge.id, Submission.participant_id == actor.id,
        Submission.status != SubmissionStatus.WITHDRAWN)))


def _in_team(actor: User, challenge: Challenge) -> bool:
    return db.session.scalar(select(exists().where(
        TeamMember.challenge_id == challenge.id, TeamMember.user_id == actor.id)))


def for_challenge(actor: User, challenge_id: int, limit: int, cursor: str | None,
                  status: RegistrationStatus | None = None) -> pagination.Page:
    """A challenge's registrations with their answers, by registrant (owners, managers, admins)."""
    challenge = challenges.manageable(actor, challenge_id)
    query = select(Participation).options(selectinload(Participation.user)) \
        .where(Participation.challenge_id == challenge.id)
    if status is not None:
        query = query.where(Participation.status == status)
    return pagination.paginate(query, [Participation.user_id], limit, cursor)


def decide(actor: User, challenge_id: int, user_id: int, approve: bool, reason: str | None = None) -> Participation:
    """Approve or refuse a pending registration, and tell the registrant."""
    challenge = challenges.manageable(actor, challenge_id)
    participation = db.session.scalar(select(Participation).where(
        Participation.challenge_id == challenge.id, Participation.user_id == user_id).with_for_update())
    policy.visible_or_404(participation is not None, "registration")
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("A %(status)s challenge's registrations no longer change.", status=challenge.status))
    if participation.status is not RegistrationStatus.PENDING:
        raise Conflict(_("Only a pending registration can be approved or refused."))
    participation.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REFUSED
    participation.decided_at, participation.refusal_reason = clock.now(), None if approve else reason
    kind = f"registration.{participation.status.value}"
    audit.record(actor, kind, challenge, challenge.organisation_id, user_id=user_id, reason=reason)
    notifications.to_users(kind, [user_id], {"challenge": events.challenge_data(challenge),
                                             **({} if approve else {"reason": reason})})
    db.session.commit()
    return participation


def require_admitted(actor: User, challenge: Challenge, at) -> None:
    """On entering (submitting, forming or joining a team) a challenge whose registration is not plainly open: only
    approved registrants may, and nobody registers by entering once registration has closed. The registration's row
    stays locked until the commit."""
    participation = participation_of(actor, challenge, lock=True)
    if participation is None:
        if challenge.registration is RegistrationMode.APPROVAL:
            raise Conflict(_("Register for this challenge and wait for the organisation's approval "
                             "before taking part."))
        if not challenge.registering_at(at):
            raise Conflict(_("This challenge takes no new registrations."))
    elif participation.status is not RegistrationStatus.APPROVED:
        raise Conflict(_("Only approved registrants may take part; your registration is %(status)s.",
                         status=participation.status.value))
