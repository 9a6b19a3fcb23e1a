"""Small builders that arrange data directly in the database; each returns plain values."""
import hashlib
import itertools
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import event

from challenges import clock
from challenges.extensions import db
from challenges.models import (
    Award, Challenge, ChallengeTag, Evaluation, Membership, Organisation, OrganisationInvitation,
    OrganisationInvitationStatus, Participation, Prize, RegistrationStatus, Revision, Role, Status, Submission,
    SubmissionStatus, Token, User,
)
from challenges.services import search_text
from challenges.services.passwords import hash_password
from challenges.services.submissions import content_sha256

PASSWORD = "correct horse battery"
_APP = None
_counter = itertools.count(1)


def bind(app) -> None:
    """Remember the app whose database the builders write to."""
    global _APP
    _APP = app


@contextmanager
def _session():
    with _APP.app_context():
        yield db.session
        db.session.commit()


def make_user(**overrides) -> SimpleNamespace:
    """A user with a live bearer token (`.token`) and the password PASSWORD, with a verified email unless
    `email_verified_at=None`."""
    n = next(_counter)
    now = clock.now()
    fields = {"email": f"user{n}@example.com", "display_name": f"User {n}", "is_admin": False,
              "created_at": now, "email_verified_at": now} | overrides
    raw = f"token-{n}-{fields['email']}"
    with _session() as session:
        user = User(password_hash=hash_password(PASSWORD), **fields)
        session.add(user)
        session.flush()
        session.add(Token(user_id=user.id, token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                          created_at=now, expires_at=now + timedelta(days=3650)))
        return SimpleNamespace(id=user.id, email=user.email, display_name=user.display_name, token=raw,
                               password=PASSWORD)


def auth_headers(user) -> dict:
    """The Authorization header of a user built by make_user."""
    return {"Authorization": f"Bearer {user.token}"}


def make_organisation(owner, **overrides) -> SimpleNamespace:
    """An organisation owned by `owner`."""
    now = clock.now()
    with _session() as session:
        organisation = Organisation(name=f"Org {next(_counter)}", description="", created_at=now, updated_at=now,
                                    **overrides)
        session.add(organisation)
        session.flush()
        session.add(Membership(organisation_id=organisation.id, user_id=owner.id, role=Role.OWNER, created_at=now))
        return SimpleNamespace(id=organisation.id, name=organisation.name)


def add_member(organisation, user, role: str) -> None:
    """Give `user` a role in the organisation."""
    with _session() as session:
        session.add(Membership(organisation_id=organisation.id, user_id=user.id, role=Role(role),
                               created_at=clock.now()))


def make_org_invitation(organisation, email: str, raw: str, role: str = "judge", **overrides) -> int:
    """A pending invitation of `email` to the organisation whose link token is `raw`, live for 14 days; its id."""
    now = clock.now()
    fields = {"created_at": now, "expires_at": now + timedelta(days=14),
              "status": OrganisationInvitationStatus.PENDING} | overrides
    with _session() as session:
        invitation = OrganisationInvitation(organisation_id=organisation.id, email=email, role=Role(role),
                                            token_hash=hashlib.sha256(raw.encode()).hexdigest(), **fields)
        session.add(invitation)
        session.flush()
        return invitation.id


PHASE_TIMES = {  # (opens_at, closes_at) relative to now
    "draft": (None, timedelta(days=7)),
    "upcoming": (timedelta(days=1), timedelta(days=8)),
    "open": (-timedelta(days=1), timedelta(days=7)),
    "closed": (-timedelta(days=8), -timedelta(days=1)),
    "finalised": (-timedelta(days=8), -timedelta(days=1)),
    "cancelled": (-timedelta(days=1), timedelta(days=7)),
}
PHASE_STATUS = {"draft": Status.DRAFT, "upcoming": Status.PUBLISHED, "open": Status.PUBLISHED,
                "closed": Status.PUBLISHED, "finalised": Status.FINALISED, "cancelled": Status.CANCELLED}


def make_challenge(organisation, phase: str = "open", prizes: int = 3, tags=("ai",), **overrides) -> SimpleNamespace:
    """A challenge of the organisation in the given phase, with EUR prizes of 5000, 3000, 1000 (x100)."""
    now = clock.now()
    opens, closes = PHASE_TIMES[phase]
    fields = {
        "title": f"Challenge {next(_counter)}", "summary": "A precise problem", "description": "Details",
        "rules": "Be nice", "ip_terms": "You keep your IP", "status": PHASE_STATUS[phase],
        "evaluation": Evaluation.JUDGED, "judging": {"blind": False, "normalise": False,
                                                     "allow_unassigned": True, "disagreement_threshold": 0.25},
        "opens_at": opens and now + opens, "closes_at": now + closes,
        "published_at": None if phase == "draft" else now - timedelta(days=10),
        "finalised_at": now if phase == "finalised" else None,
        "cancelled_at": now if phase == "cancelled" else None,
        "cancel_reason": "Called off" if phase == "cancelled" else None,
        "max_submissions_per_participant": 3, "created_at": now, "updated_at": now,
    } | overrides
    with _session() as session:
        challenge = Challenge(organisation_id=organisation.id, **fields)
        challenge.prizes = [Prize(rank=i + 1, title=f"Prize {i + 1}", amount=amount, currency="EUR", description="")
                            for i, amount in enumerate([500000, 300000, 100000, 50000, 20000][:prizes])]
        challenge.tag_rows = [ChallengeTag(tag=tag, position=i) for i, tag in enumerate(tags)]
        challenge.prize_total = sum(p.amount for p in challenge.prizes)
        challenge.search_text = search_text.document(challenge.title, challenge.summary, tags, challenge.description)
        session.add(challenge)
        session.flush()
        return SimpleNamespace(id=challenge.id, organisation_id=organisation.id,
                               prize_ids=[p.id for p in challenge.prizes], closes_at=challenge.closes_at)


def make_submission(challenge, participant, status: str = "submitted", **overrides) -> SimpleNamespace:
    """A submission by `participant`, stored before the challenge's deadline."""
    content = {"title": "My solution", "summary": "It works", "body": "Because", "links": []} | overrides
    at = min(clock.now(), challenge.closes_at - timedelta(hours=1))
    digest = content_sha256(**content)
    with _session() as session:
        if session.query(Participation).filter_by(challenge_id=challenge.id, user_id=participant.id).first() is None:
            session.add(Participation(challenge_id=challenge.id, user_id=participant.id, terms_version=1,
                                      accepted_at=at))
        submission = Submission(challenge_id=challenge.id, participant_id=participant.id, submitted_at=at,
                                updated_at=at, content_sha256=digest, status=SubmissionStatus(status), **content)
        session.add(submission)
        session.flush()
        session.add(Revision(submission_id=submission.id, number=1, content_sha256=digest, created_at=at, **content))
        if status != "withdrawn":
            session.get(Challenge, challenge.id).submission_count += 1
        return SimpleNamespace(id=submission.id, challenge_id=challenge.id, sha256=digest)


def make_registration(challenge, user, status: str = "approved", answers: dict | None = None) -> None:
    """A registration of `user` for the challenge, made before its deadline."""
    with _session() as session:
        session.add(Participation(challenge_id=challenge.id, user_id=user.id, terms_version=1, answers=answers or {},
                                  accepted_at=min(clock.now(), challenge.closes_at - timedelta(hours=1)),
                                  status=RegistrationStatus(status)))


def make_award(challenge, prize_id: int, submission, by, status: str = "awarded") -> SimpleNamespace:
    """An award of a prize to a submission."""
    with _session() as session:
        award = Award(challenge_id=challenge.id, prize_id=prize_id, submission_id=submission.id,
                      awarded_by=by.id, awarded_at=clock.now(), status=status)
        session.add(award)
        session.flush()
        return SimpleNamespace(id=award.id)


def count(model) -> int:
    """How many rows a table holds."""
    with _session() as session:
        return session.query(model).count()


@contextmanager
def statements_sent(app):
    """The SQL statements sent to the database inside the block."""
    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
