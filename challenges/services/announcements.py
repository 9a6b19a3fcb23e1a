"""Announcements: updates to everyone following a challenge."""
from flask_babel import gettext as _
from sqlalchemy import select

from challenges import clock, pagination
from challenges.errors import Conflict
from challenges.extensions import db
from challenges.models import Announcement, AnnouncementKind, Challenge, Status, User
from challenges.services import audit, challenges, events, notifications


def post(actor: User, challenge_id: int, *, title: str, body: str) -> Announcement:
    """Post a message to a published challenge's participants (owners and managers)."""
    challenge = challenges.manageable(actor, challenge_id)
    if challenge.status is Status.DRAFT:
        raise Conflict(_("A draft has no audience yet; publish it first."))
    announcement = announce(challenge, AnnouncementKind.MESSAGE, title, body, actor)
    audit.record(actor, "announcement.posted", announcement, challenge.organisation_id)
    db.session.commit()
    return announcement


def announce(challenge: Challenge, kind: AnnouncementKind, title: str, body: str,
             author: User | None) -> Announcement:
    """Add an announcement, its event and its notifications to the current transaction."""
    announcement = Announcement(challenge_id=challenge.id, kind=kind, title=title, body=body,
                                author_id=author.id if author else None, created_at=clock.now())
    db.session.add(announcement)
    db.session.flush()
    data = {"announcement": {"id": announcement.id, "kind": str(kind), "title": title, "body": body}}
    events.emit("announcement.posted", challenge, **data)
    notifications.to_participants("announcement.posted", challenge, {"challenge": events.challenge_data(challenge),
                                                                     **data})
    return announcement


def for_challenge(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """A challenge's announcements, newest first, for whoever can see the challenge."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Announcement).where(Announcement.challenge_id == challenge.id)
    return pagination.paginate(query, [Announcement.id], limit, cursor, descending=True)
