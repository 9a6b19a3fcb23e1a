"""A challenge's life: publish, cancel, finalise."""
from flask_babel import gettext as _
from sqlalchemy import exists, select

from challenges import clock
from challenges.errors import Conflict
from challenges.extensions import db
from challenges.models import AnnouncementKind, Award, AwardStatus, Challenge, Evaluation, Phase, Status, User
from challenges.services import announcements, audit, events, notifications, scoring, submissions
from challenges.services.challenges import manageable


def publish(actor: User, challenge_id: int) -> Challenge:
    """Open the call: needs a prize and a deadline in the future."""
    challenge = manageable(actor, challenge_id, lock=True)
    now = clock.now()
    if challenge.status is not Status.DRAFT:
        raise Conflict(_("Only a draft can be published."))
    if not challenge.prizes:
        raise Conflict(_("A challenge needs at least one prize to be published."))
    if challenge.evaluation is Evaluation.SCORED:
        scoring.require_ready(challenge)
    if challenge.closes_at <= now:
        raise Conflict(_("The deadline has passed; move closes_at into the future first."))
    challenge.opens_at = challenge.opens_at or now
    challenge.status, challenge.published_at, challenge.updated_at = Status.PUBLISHED, now, now
    audit.record(actor, "challenge.published", challenge, challenge.organisation_id)
    events.emit("challenge.published", challenge)
    db.session.commit()
    return challenge


def cancel(actor: User, challenge_id: int, reason: str) -> Challenge:
    """Call a draft or published challenge off, with a reason for the participants."""
    challenge = manageable(actor, challenge_id, lock=True)
    if challenge.status not in (Status.DRAFT, Status.PUBLISHED):
        raise Conflict(_("A %(status)s challenge cannot be cancelled.", status=challenge.status))
    if db.session.scalar(select(exists().where(Award.challenge_id == challenge.id))):
        raise Conflict(_("Revoke the challenge's awards before cancelling it."))
    now = clock.now()
    challenge.status, challenge.cancelled_at, challenge.updated_at = Status.CANCELLED, now, now
    challenge.cancel_reason = reason
    audit.record(actor, "challenge.cancelled", challenge, challenge.organisation_id, reason=reason)
    events.emit("challenge.cancelled", challenge, reason=reason)
    if challenge.published_at:  # a draft has nobody to tell
        announcements.announce(challenge, AnnouncementKind.CANCELLED, "This challenge is cancelled", reason, actor)
    db.session.commit()
    return challenge


def finalise(actor: User, challenge_id: int) -> Challenge:
    """Announce the results: only once closed; awards are fixed from now on."""
    challenge = manageable(actor, challenge_id, lock=True)
    now = clock.now()
    if challenge.phase_at(now) is not Phase.CLOSED:
        raise Conflict(_("Only a closed challenge can be finalised."))
    challenge.status, challenge.finalised_at, challenge.updated_at = Status.FINALISED, now, now
    audit.record(actor, "challenge.finalised", challenge, challenge.organisation_id)
    events.emit("challenge.finalised", challenge)
    _tell_results(challenge)
    db.session.commit()
    return challenge


def _tell_results(challenge: Challenge) -> None:
    """Notify every participant that the results are out; winners learn their prizes."""
    winners: dict[int, dict] = {}
    awards = db.session.scalars(select(Award).where(
        Award.challenge_id == challenge.id, Award.status != AwardStatus.CANCELLED)).all()
    for award in awards:
        entry = award.submission
        for user_id in {entry.participant_id, *submissions.team_member_ids(entry.team_id)}:
            winners.setdefault(user_id, {"awards": []})["awards"].append(
                {**events.award_data(award), "prize": award.prize.title})
    notifications.to_participants("challenge.finalised", challenge, {"challenge": events.challenge_data(challenge),
                                                                     "awards": []}, extra=winners)
