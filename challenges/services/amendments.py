"""What may change once a challenge is published: promises to participants only ever improve."""
from flask_babel import gettext as _
from sqlalchemy import exists, select

from challenges.errors import Conflict
from challenges.extensions import db
from challenges.models import Challenge, Participation, Phase, RegistrationMode

AMENDABLE = {"title", "summary", "description", "rules", "tags"}
FROZEN = {"evaluation", "opens_at", "ip_terms", "publish_winning_submissions", "judging", "scoring"}


def check_amendment(challenge: Challenge, changes: dict, phase: Phase) -> None:
    """Raise Conflict for any change a published challenge does not allow."""
    for field, value in changes.items():
        if field in AMENDABLE or value == _current(challenge, field):
            continue
        if field in FROZEN:
            raise Conflict(_("%(field)s cannot change once the challenge is published.", field=field))
        CHECKS[field](challenge, value, phase)


def _current(challenge: Challenge, field: str):
    return None if field == "prizes" else getattr(challenge, field)


def _check_deadline(challenge: Challenge, closes_at, phase: Phase) -> None:
    if phase not in (Phase.UPCOMING, Phase.OPEN):
        raise Conflict(_("The deadline can only be extended while the challenge is upcoming or open."))
    if closes_at < challenge.closes_at:
        raise Conflict(_("The deadline can be extended, never brought forward."))


def _check_limit(challenge: Challenge, limit: int | None, _phase: Phase) -> None:
    current = challenge.max_submissions_per_participant
    if limit is not None and (current is None or limit < current):
        raise Conflict(_("max_submissions_per_participant may only grow once published."))


def _check_team_size(challenge: Challenge, size: int, _phase: Phase) -> None:
    if size < challenge.max_team_size:
        raise Conflict(_("max_team_size may only grow once published."))


def _check_merge_deadline(challenge: Challenge, merge_deadline, _phase: Phase) -> None:
    current = challenge.team_merge_deadline
    if current is None or merge_deadline is None or merge_deadline < current:
        raise Conflict(_("team_merge_deadline may only move later once published."))


def _check_prizes(challenge: Challenge, items: list, _phase: Phase) -> None:
    """Prizes may be raised or added, never lowered, removed, reordered or changed in currency."""
    given = {item.get("id"): (rank, item) for rank, item in enumerate(items, start=1)}
    for prize in challenge.prizes:
        if prize.id not in given:
            raise Conflict(_("A published prize cannot be removed."))
        rank, item = given[prize.id]
        reward = item.get("reward")
        if rank != prize.rank:
            raise Conflict(_("Published prizes keep their rank; add new prizes at the end."))
        if prize.amount is not None and (reward is None or reward["currency"] != prize.currency):
            raise Conflict(_("A published prize keeps its currency and stays monetary."))
        if prize.amount is not None and reward["amount"] < prize.amount:
            raise Conflict(_("A published prize may be raised, never lowered."))


def _check_registration(challenge: Challenge, mode: RegistrationMode, _phase: Phase) -> None:
    """Registration may open and close; approval is promised (or not) at publication and stays so."""
    if RegistrationMode.APPROVAL in (mode, challenge.registration):
        raise Conflict(_("Approval of registrations cannot be turned on or off once published."))


def _check_registration_deadline(_challenge: Challenge, _deadline, _phase: Phase) -> None:
    """The registration deadline may move either way: it decides only who may still join."""


def _check_form(challenge: Challenge, _form: list, _phase: Phase) -> None:
    """The form is what registrants answered: it stays as it was once anyone registered."""
    if db.session.scalar(select(exists().where(Participation.challenge_id == challenge.id))):
        raise Conflict(_("The registration form cannot change once someone has registered."))


CHECKS = {
    "registration": _check_registration,
    "registration_closes_at": _check_registration_deadline,
    "registration_form": _check_form,
    "closes_at": _check_deadline,
    "max_submissions_per_participant": _check_limit,
    "prizes": _check_prizes,
    "max_team_size": _check_team_size,
    "team_merge_deadline": _check_merge_deadline,
}
