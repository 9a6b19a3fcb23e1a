"""Deadlines as they come: participants are told once, a day (DEADLINE_REMINDER_HOURS) before a challenge closes,
and challenges whose opening or deadline has passed leave the indexes of the upcoming and open lists."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from challenges import clock
from challenges.extensions import db
from challenges.models import Challenge, Status
from challenges.services import events, notifications
from challenges.services.challenges import AHEAD, UNOPENED


def remind_due() -> int:
    """Remind the participants of every challenge closing soon that has not been reminded of this deadline."""
    now = clock.now()
    soon = now + timedelta(hours=current_app.config["DEADLINE_REMINDER_HOURS"])
    unreminded = or_(Challenge.reminded_for.is_(None), Challenge.reminded_for != Challenge.closes_at)
    due = db.session.scalars(select(Challenge.id).where(
        Challenge.status == Status.PUBLISHED, Challenge.closes_at > now, Challenge.closes_at <= soon,
        Challenge.opens_at <= now, unreminded)).all()
    db.session.commit()
    sent = 0
    for challenge_id in due:
        # The conditional update is the claim: of two relays, one reminds and the other finds nothing to do.
        claimed = db.session.execute(update(Challenge).where(Challenge.id == challenge_id, unreminded)
                                     .values(reminded_for=Challenge.closes_at)
                                     .execution_options(synchronize_session=False)).rowcount
        if claimed:
            challenge = db.session.get(Challenge, challenge_id)
            notifications.to_participants("challenge.deadline_approaching", challenge,
                                          {"challenge": events.challenge_data(challenge)})
            sent += 1
        db.session.commit()
    return sent


def mark_passed_phases() -> int:
    """Clear the hints of the published challenges whose opening or deadline has passed; how many closed."""
    # On the session's connection, not through the ORM: the hints change no answer, so the read cache keeps its
    # entries (a phase change lapses them by itself).
    now, connection = clock.now(), db.session.connection()
    connection.execute(update(Challenge).where(UNOPENED, Challenge.opens_at <= now).values(opening_ahead=False))
    passed = connection.execute(update(Challenge).where(AHEAD, Challenge.closes_at <= now)
                                .values(deadline_ahead=False)).rowcount
    db.session.commit()
    return passed
