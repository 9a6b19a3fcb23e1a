"""The outbox: events are written in the transaction of the change that caused them."""
from sqlalchemy import insert, select

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
    hooks = db.session.scalars(select(Webhook).where(Webhook.organisation_id == challenge.organisation_id)).all()
    wanted = [{"webhook_id": hook.id, "event_id": event.id, "status": DeliveryStatus.PENDING, "attempts": 0,
               "next_attempt_at": now, "created_at": now} for hook in hooks if event_type in hook.events]
    if wanted:
        db.session.execute(insert(Delivery), wanted)
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
