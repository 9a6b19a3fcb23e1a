"""Drafting, amending, browsing and deleting challenges."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import false, func, literal_column, select, true
from sqlalchemy.orm import defer, joinedload, selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    AnnouncementKind, Challenge, ChallengeTag, Evaluation, Membership, Moderation, ObjectType, Organisation, Phase,
    Prize, Status, User,
)
from challenges.models.challenges import DEFAULT_JUDGING
from challenges.services import announcements, audit, events, moderation, policy, search_text
from challenges.services.amendments import check_amendment

SORTS = {
    "-created_at": ([Challenge.created_at, Challenge.id], True),
    "closes_at": ([Challenge.closes_at, Challenge.id], False),
    "-prize_total": ([Challenge.prize_total, Challenge.id], True),
}
KEY_SHARE = {"read": True, "key_share": True}  # entrants share the row; only FOR UPDATE (a role grant) waits
WITH_DETAILS = (selectinload(Challenge.prizes), selectinload(Challenge.tag_rows))
LONG_TEXTS = (Challenge.description, Challenge.rules, Challenge.ip_terms, Challenge.search_text)


def visible(actor: User | None, challenge_id: int, lock: bool | dict = False) -> Challenge:
    """A challenge the actor may see; NotFound otherwise. `lock`: True for FOR UPDATE, or KEY_SHARE."""
    # populate_existing: a row locked after an earlier read must be re-read, not taken from the session.
    challenge = db.session.get(Challenge, challenge_id, with_for_update=lock or None, populate_existing=bool(lock))
    policy.visible_or_404(challenge is not None and policy.may_see_challenge(actor, challenge), "challenge")
    return challenge


def detail(actor: User | None, challenge_id: int) -> Challenge:
    """A challenge the actor may see, with its prizes and tags, in one query."""
    challenge = db.session.get(Challenge, challenge_id,
                               options=(joinedload(Challenge.prizes), joinedload(Challenge.tag_rows)))
    policy.visible_or_404(challenge is not None and policy.may_see_challenge(actor, challenge), "challenge")
    return challenge


def manageable(actor: User | None, challenge_id: int, lock: bool = False) -> Challenge:
    """A challenge the actor runs (owner, manager, admin); 404 when hidden, 403 when only visible."""
    challenge = visible(actor, challenge_id)
    policy.require_manager(actor, challenge.organisation_id)
    return visible(actor, challenge_id, lock=True) if lock else challenge


def locked_for_edit(actor: User, challenge_id: int) -> Challenge:
    """A challenge the actor runs, locked until the commit (so If-Match is checked against the row that is written)."""
    return manageable(actor, challenge_id, lock=True)


def create(actor: User, *, organisation_id: int, prizes=(), tags=(), **fields) -> Challenge:
    """Draft a challenge for an organisation the actor runs."""
    if db.session.get(Organisation, organisation_id) is None:
        raise ValidationFailed("organisation_id", _("No such organisation."))
    policy.require_manager(actor, organisation_id)
    now = clock.now()
    _check_merge_deadline(fields.get("team_merge_deadline"), fields["closes_at"])
    challenge = Challenge(organisation_id=organisation_id, created_at=now, updated_at=now,
                          **{"evaluation": Evaluation.JUDGED} | fields)
    _settle_evaluation(challenge, fields)
    db.session.add(challenge)
    _set_tags(challenge, tags)
    _set_prizes(challenge, prizes)
    _refresh_derived(challenge)
    db.session.flush()
    moderation.screen(actor, ObjectType.CHALLENGE, challenge)
    audit.record(actor, "challenge.created", challenge, organisation_id)
    db.session.commit()
    return challenge


def update(actor: User, challenge_id: int, **changes) -> Challenge:
    """Edit a draft freely; amend a published challenge within the rules."""
    challenge = manageable(actor, challenge_id, lock=True)
    now = clock.now()
    if challenge.status is Status.PUBLISHED:
        check_amendment(challenge, changes, challenge.phase_at(now))
    elif challenge.status is not Status.DRAFT:
        raise Conflict(_("A %(status)s challenge cannot be changed.", status=challenge.status))
    extended = "closes_at" in changes and challenge.status is Status.PUBLISHED \
        and changes["closes_at"] != challenge.closes_at
    terms_changed = any(k in changes and changes[k] != getattr(challenge, k) for k in ("rules", "ip_terms"))
    previous_closes_at = challenge.closes_at
    opens_at, closes_at = (changes.get(k, getattr(challenge, k)) for k in ("opens_at", "closes_at"))
    if opens_at and opens_at >= closes_at:
        raise ValidationFailed("opens_at", _("opens_at must be before closes_at."))
    _check_merge_deadline(changes.get("team_merge_deadline", challenge.team_merge_deadline), closes_at)
    _apply(challenge, changes)
    _settle_evaluation(challenge, changes)
    if terms_changed and challenge.status is Status.PUBLISHED:
        challenge.terms_version += 1
    challenge.updated_at = now
    if changes.keys() & {"title", "summary", "description"}:  # an edit may not smuggle spam in
        moderation.screen(actor, ObjectType.CHALLENGE, challenge, edited=True)
    action = "challenge.amended" if challenge.status is Status.PUBLISHED else "challenge.updated"
    audit.record(actor, action, challenge, challenge.organisation_id, fields=sorted(changes))
    if extended:
        audit.record(actor, "challenge.deadline_extended", challenge, challenge.organisation_id,
                     closes_at=challenge.closes_at.isoformat())
        _announce_extension(actor, challenge, previous_closes_at)
    db.session.commit()
    return challenge


def _check_merge_deadline(merge_deadline, closes_at) -> None:
    if merge_deadline and merge_deadline > closes_at:
        raise ValidationFailed("team_merge_deadline", _("Teams merge before the deadline, not after it."))


def _announce_extension(actor: User, challenge: Challenge, previous_closes_at) -> None:
    """Tell participants and integrators that the deadline moved."""
    new = challenge.closes_at.isoformat()
    events.emit("challenge.deadline_changed", challenge, previous_closes_at=previous_closes_at.isoformat())
    announcements.announce(challenge, AnnouncementKind.DEADLINE_EXTENDED, "The deadline is extended",
                           f"Submissions are now accepted until {new}.", actor)


def _apply(challenge: Challenge, changes: dict) -> None:
    for field, value in changes.items():
        if field == "tags":
            _set_tags(challenge, value)
        elif field == "prizes":
            _set_prizes(challenge, value)
        else:
            setattr(challenge, field, value)
    _refresh_derived(challenge)


def _settle_evaluation(challenge: Challenge, changes: dict) -> None:
    """Keep exactly the settings of the evaluation mode; 422 for settings of the other one."""
    judged = challenge.evaluation is Evaluation.JUDGED
    other = "scoring" if judged else "judging"
    if changes.get(other):
        raise ValidationFailed(other, _("A %(evaluation)s challenge has no %(other)s settings.",
                                       evaluation=challenge.evaluation, other=other))
    setattr(challenge, other, None)
    if judged:
        challenge.judging = {**DEFAULT_JUDGING, **(challenge.judging or {})}
    elif not challenge.scoring:
        raise ValidationFailed("scoring", _("A scored challenge needs scoring settings."))


def _set_tags(challenge: Challenge, tags) -> None:
    unique = list(dict.fromkeys(tags))
    challenge.tag_rows = [ChallengeTag(tag=tag, position=i) for i, tag in enumerate(unique)]


def _set_prizes(challenge: Challenge, items) -> None:
    """Replace the prize list: existing prizes by id, new ones without; rank is the position."""
    existing = {prize.id: prize for prize in challenge.prizes}
    ids = [item["id"] for item in items if item.get("id") is not None]
    if len(ids) != len(set(ids)) or not set(ids) <= set(existing):
        raise ValidationFailed("prizes", _("Each prize id must name a prize of this challenge, once."))
    if existing:
        for prize in existing.values():  # park the ranks so a reordering never collides
            prize.rank = -prize.rank - 1000
        db.session.flush()
    kept = []
    for rank, item in enumerate(items, start=1):
        prize = existing.get(item.get("id")) or Prize()
        reward = item.get("reward")
        prize.rank, prize.title = rank, item["title"]
        prize.description = item.get("description", "")
        prize.amount = reward["amount"] if reward else None
        prize.currency = reward["currency"] if reward else None
        kept.append(prize)
    challenge.prizes = kept


def _refresh_derived(challenge: Challenge) -> None:
    """Recompute the columns kept for sorting by prize and searching."""
    challenge.prize_total = sum(prize.amount or 0 for prize in challenge.prizes)
    challenge.search_text = search_text.document(challenge.title, challenge.summary, challenge.tags,
                                                 challenge.description)


def delete(actor: User, challenge_id: int) -> None:
    """Delete a draft; published challenges are cancelled instead."""
    challenge = manageable(actor, challenge_id, lock=True)
    if challenge.status is not Status.DRAFT:
        raise Conflict(_("Only drafts can be deleted; cancel a published challenge instead."))
    audit.record(actor, "challenge.deleted", challenge, challenge.organisation_id, title=challenge.title)
    db.session.delete(challenge)
    db.session.commit()


def browse(actor: User | None, *, limit: int, cursor: str | None = None, sort: str = "-created_at",
           phase: Phase | None = None, organisation_id: int | None = None, tag: str | None = None,
           q: str | None = None) -> pagination.Page:
    """Public challenges (drafts only of the actor's organisations), filtered and sorted."""
    query = select(Challenge).options(*WITH_DETAILS, *map(defer, LONG_TEXTS)).where(_moderation_filter(actor))
    if organisation_id is not None:
        query = query.where(Challenge.organisation_id == organisation_id)
    if tag:
        query = query.where(Challenge.tag_rows.any(ChallengeTag.tag == tag.strip().lower()))
    matching = search_text.matching(q, db.session.get_bind().dialect.name) if q else None
    if matching is not None:
        query = query.where(matching)
    keys, descending = SORTS[sort]
    return pagination.paginate(query.where(_phase_filter(actor, phase)), keys, limit, cursor, descending=descending)


def next_phase_change() -> datetime | None:
    """The next moment at which a published challenge opens or closes."""
    now, published = clock.now(), Challenge.status == Status.PUBLISHED
    opening = select(func.min(Challenge.opens_at)).where(published, Challenge.opens_at > now)
    closing = select(func.min(Challenge.closes_at)).where(published, Challenge.closes_at > now)
    moments = db.session.execute(select(opening.scalar_subquery(), closing.scalar_subquery())).one()
    return min(filter(None, moments), default=None)


# Every challenge before its deadline, and before its opening, is among these (the ix_challenge_ahead_* and
# ix_challenge_unopened_* indexes' own conditions, spelled alike so that the planner sees they are theirs, whatever
# the statement's parameters).
PUBLISHED = Challenge.status == literal_column("'published'")
AHEAD, UNOPENED = PUBLISHED & Challenge.deadline_ahead, PUBLISHED & Challenge.opening_ahead


def _phase_filter(actor: User | None, phase: Phase | None):
    """The condition selecting challenges of one phase, judged by the clock."""
    now = clock.now()
    published = Challenge.status == Status.PUBLISHED
    match phase:
        case None:
            return Challenge.status.in_([Status.PUBLISHED, Status.FINALISED])
        case Phase.UPCOMING:  # closes_at > opens_at always: saying closes_at > now too would only mislead the planner
            return UNOPENED & (Challenge.opens_at > now)
        case Phase.OPEN:
            return AHEAD & (Challenge.opens_at <= now) & (Challenge.closes_at > now)
        case Phase.CLOSED:
            return published & (Challenge.closes_at <= now)
        case Phase.FINALISED:
            return Challenge.status == Status.FINALISED
        case Phase.CANCELLED:
            return (Challenge.status == Status.CANCELLED) & Challenge.published_at.is_not(None)
        case Phase.DRAFT:
            return (Challenge.status == Status.DRAFT) & _member_of(actor)


def _moderation_filter(actor: User | None):
    """Visible challenges; held ones for their organisation's members; everything for platform admins."""
    if actor is not None and actor.is_admin:
        return true()
    return (Challenge.moderation == Moderation.VISIBLE) | \
        ((Challenge.moderation == Moderation.HELD) & _member_of(actor))


def _member_of(actor: User | None):
    """The condition: the challenge belongs to one of the actor's organisations."""
    if actor is None:
        return false()
    if actor.is_admin:
        return true()
    return Challenge.organisation_id.in_(
        select(Membership.organisation_id).where(Membership.user_id == actor.id))
