"""The outbox: events are written in the transaction of the change that caused them."""
from sqlalchemy import Integer, Text, bindparam, cast, insert, literal, select

from challenges import clock
from challenges.extensions import db
from challenges.models import Award, Challenge, Delivery, DeliveryStatus, Event, Submission, Webhook
from challenges.services import outbox


# Built once, like the audit's: an event is written with every change. Event types are fixed dotted names, never
# holding a quote, so finding '"<type>"' in a webhook's JSON list of events is an exact test on every database.
INSERT_EVENT = insert(Event.__table__).returning(Event.id)
DUE = bindparam("due", type_=Delivery.created_at.type)
INSERT_DELIVERIES = insert(Delivery.__table__).from_select(
    ["webhook_id", "event_id", "status", "attempts", "next_attempt_at", "created_at"],
    select(Webhook.id, bindparam("event_id", type_=Integer), literal(DeliveryStatus.PENDING, Delivery.status.type),
           literal(0), DUE, DUE).where(
        Webhook.organisation_id == bindparam("organisation_id"),
        cast(Webhook.events, Text).like(bindparam("pattern"), escape="/"))).returning(Delivery.id)


def emit(event_type: str, challenge: Challenge, **data) -> int:
    """Record an event of the challenge and queue it for each webhook that wants it (not committed); its id."""
    now = clock.now()
    event_id = db.session.execute(INSERT_EVENT, {
        "type": event_type, "created_at": now, "organisation_id": challenge.organisation_id,
        "challenge_id": challenge.id, "data": {"challenge": challenge_data(challenge), **data}}).scalar_one()
    queued = db.session.execute(INSERT_DELIVERIES, {
        "event_id": event_id, "due": now, "organisation_id": challenge.organisation_id,
        "pattern": _containing(f'"{event_type}"')}).first()
    if queued:
        outbox.wake()
    return event_id


def _containing(text: str) -> str:
    """A LIKE pattern (escaped with '/') that matches any text containing this one."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _when(value):
    return value.isoformat() if value else None


def challenge_data(challenge: Challenge) -> dict:
    """What an event says about a challenge."""
    return {"id": challenge.id, "organisation_id": challenge.organisation_id, "title": challenge.title,
            "status": str(challenge.status), "closes_at": _when(challenge.closes_at)}


def submission_data(submission: Submission) -> dict:
    """What an event says about a submission."""
    return {"id": submission.id, "challenge_id": submission.challenge_id, "participant_id": submission.participant_id,
            "team_id": submission.team_id,
            "title": submission.title, "status": str(submission.status),
            "submitted_at": _when(submission.submitted_at), "content_sha256": submission.content_sha256,
            "revision": submission.revision}


def award_data(award: Award) -> dict:
    """What an event says about an award."""
    return {"id": award.id, "challenge_id": award.challenge_id, "prize_id": award.prize_id,
            "submission_id": award.submission_id, "status": str(award.status),
            "payout_reference": award.payout_reference}
