"""A judged challenge's rubric: weighted criteria, editable until the challenge closes."""
from flask_babel import gettext as _
from sqlalchemy import select

from challenges import clock, pagination
from challenges.errors import Conflict, ValidationFailed
from challenges.extensions import db
from challenges.models import Challenge, Criterion, Evaluation, Phase, User
from challenges.models.judging import MAX_CRITERIA
from challenges.services import audit, challenges, policy

EDITABLE = (Phase.DRAFT, Phase.UPCOMING, Phase.OPEN)


def criteria_of(challenge_id: int) -> list[Criterion]:
    """The rubric in its order."""
    return list(db.session.scalars(
        select(Criterion).where(Criterion.challenge_id == challenge_id).order_by(Criterion.position)))


def judged(actor: User | None, challenge_id: int) -> Challenge:
    """A judged challenge the actor belongs to; 404 when hidden, 403 to outsiders, 409 when scored."""
    challenge = challenges.visible(actor, challenge_id)
    policy.require_member(actor, challenge.organisation_id)
    require_judged(challenge)
    return challenge


def require_judged(challenge: Challenge) -> None:
    """Conflict for a scored challenge, which has no judges."""
    if challenge.evaluation is not Evaluation.JUDGED:
        raise Conflict(_("This challenge is scored against an answer key; it has no judging."))


def page(actor: User, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The rubric, for the organisation's members."""
    challenge = judged(actor, challenge_id)
    query = select(Criterion).where(Criterion.challenge_id == challenge.id)
    return pagination.paginate(query, [Criterion.position, Criterion.id], limit, cursor)


def replace(actor: User, challenge_id: int, items: list[dict]) -> list[Criterion]:
    """Replace the whole rubric (existing criteria by id) while the challenge is not yet closed."""
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    existing = {criterion.id: criterion for criterion in criteria_of(challenge.id)}
    _check_items(items, existing)
    require_judged(challenge)
    if challenge.phase_at(clock.now()) not in EDITABLE:
        raise Conflict(_("The rubric cannot change once the challenge has closed."))
    kept = []
    for position, item in enumerate(items):
        criterion = existing.pop(item.get("id"), None) or Criterion(challenge_id=challenge.id)
        criterion.position, criterion.name, criterion.weight = position, item["name"], item["weight"]
        criterion.description, criterion.max_score = item.get("description", ""), item["max_score"]
        db.session.add(criterion)
        kept.append(criterion)
    for criterion in existing.values():
        db.session.delete(criterion)
    db.session.flush()
    audit.record(actor, "rubric.replaced", challenge, challenge.organisation_id,
                 criteria=[{"id": c.id, "name": c.name, "weight": c.weight, "max_score": c.max_score} for c in kept])
    db.session.commit()
    return kept


def _check_items(items: list[dict], existing: dict) -> None:
    """At most MAX_CRITERIA; ids name criteria of this rubric, once each; names are unique."""
    if len(items) > MAX_CRITERIA:
        raise ValidationFailed("criteria", _("A rubric has at most %(count)s criteria.", count=MAX_CRITERIA))
    ids = [item["id"] for item in items if item.get("id") is not None]
    if len(ids) != len(set(ids)) or not set(ids) <= set(existing):
        raise ValidationFailed("id", _("Each criterion id must name a criterion of this challenge, once."))
    names = [item["name"].casefold() for item in items]
    if len(names) != len(set(names)):
        raise ValidationFailed("name", _("Each criterion needs a name of its own."))


def weighted_score(criteria: list[Criterion], scores: dict[str, float]) -> float:
    """Sum of weight x score / max_score over the criteria, divided by the sum of weights: 0 to 1."""
    total_weight = sum(criterion.weight for criterion in criteria)
    earned = sum(criterion.weight * scores[str(criterion.id)] / criterion.max_score for criterion in criteria)
    return earned / total_weight
