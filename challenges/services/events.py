"""The outbox: events are written in the transaction of the change that caused them."""
from sqlalchemy import Text, cast, insert, literal, select

from challenges import clock
from challenges.extensions import db
from challenges.models import Award, Challenge, Delivery, DeliveryStatus, Event, Submission, Webhook
from challenges.services import outbox


def emit(event_type: str, challenge: Challenge, **data) -> Event:
    """Record an event of the challenge and queue it for each webhook that wants it (not committed)."""
    now = clock.now()
    event = Event(type=event_type, created_at=now, organisation_id=challenge.organisation_id,
                  challenge_id=challenge.id, data={"challenge": challenge_data(challenge), **data})
    db.session.add(event)
    db.session.flush()
    # One statement for every webhook that wants it. Event types are fixed dotted names, never holding a quote,
    # so finding '"<type>"' in the JSON list's text is an exact test on every database.
    due = literal(now, Delivery.created_at.type)
    wanting = select(Webhook.id, literal(event.id), literal(DeliveryStatus.PENDING, Delivery.status.type),
                     literal(0), due, due).where(
        Webhook.organisation_id == challenge.organisation_id,
        cast(Webhook.events, Text).contains(f'"{event_type}"', autoescape=True))
    columns = ["webhook_id", "event_id", "status", "attempts", "next_attempt_at", "created_at"]
    if db.session.execute(insert(Delivery).from_select(columns, wanting).returning(Delivery.id)).first():
        outbox.wake()
    return event


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
