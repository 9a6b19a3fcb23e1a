"""Demo data for a first look: challenges in every phase, submissions, a team, a question and an announcement."""
import io
import random
from datetime import timedelta

from challenges import clock
from challenges.extensions import db
from challenges.models import Award, Challenge, Role, Status, Submission, User
from challenges.services import (
    accounts, announcements, challenges, judging, organisation_invitations, organisations, questions, rubric, scoring,
    submissions, teams,
)

PASSWORD = "demo-password"
PEOPLE = [  # email, display name, role in the organisation (None: participant)
    ("owner@demo.example", "Olivia Owner", Role.OWNER),
    ("manager@demo.example", "Manuel Manager", Role.MANAGER),
    ("judge@demo.example", "Judith Judge", Role.JUDGE),
    ("alice@demo.example", "Alice", None),
    ("bob@demo.example", "Bob", None),
    ("carol@demo.example", "Carol", None),
]
ADMIN = ("admin@demo.example", "Ada Admin")
PENDING_INVITEE = "new.judge@demo.example"  # invited, with no account yet: the invitation waits for a sign-up
EUR_PRIZES = [
    {"title": "First prize", "reward": {"amount": 5_000_000, "currency": "EUR"}},
    {"title": "Second prize", "reward": {"amount": 2_000_000, "currency": "EUR"}},
    {"title": "Third prize", "reward": {"amount": 1_000_000, "currency": "EUR"}},
]
CHALLENGES = [  # title, phase, summary, tags
    ("Predict river floods 48 hours ahead", "open", "Forecast water levels at 40 gauges.", ["climate", "ml"]),
    ("A water-quality sensor under EUR 20", "upcoming", "Design a cheap, robust sensor.", ["hardware"]),
    ("New ideas for desalination membranes", "closed", "Lower the energy cost per litre.", ["materials"]),
    ("Rainwater harvesting for schools", "finalised", "Kits a school can build in a day.", ["design"]),
    ("Leak detection in city pipes", "draft", "Find leaks from pressure data.", ["ml", "cities"]),
]
RUBRIC = [
    {"name": "Impact", "description": "How much the idea would change things.", "weight": 2, "max_score": 10},
    {"name": "Feasibility", "description": "Could it be built and run?", "weight": 1, "max_score": 10},
]
KEY_ROWS = 1000


def seed() -> list[str]:
    """Create the demo data unless it exists; return the lines to print."""
    if accounts.find_by_email(PEOPLE[0][0]) is None:
        _create()
    lines = ["Demo logins (password for all: %s):" % PASSWORD]
    lines += [f"  {email:<24} {role or 'participant'}" for email, _, role in PEOPLE]
    lines.append(f"  {ADMIN[0]:<24} platform admin")
    return lines


def _create() -> None:
    people = {email: accounts.register(email=email, password=PASSWORD, display_name=name, verified=True)
              for email, name, _ in PEOPLE}
    accounts.make_admin(ADMIN[0], PASSWORD, ADMIN[1])
    for person in people.values():  # long-standing accounts, which the spam filter trusts
        person.created_at -= timedelta(days=90)
    db.session.commit()
    owner = people[PEOPLE[0][0]]
    organisation = organisations.create(owner, name="Open Water Lab",
                                        description="Water problems, solved in the open.",
                                        website="https://water.example")
    for email, _, role in PEOPLE[1:3]:  # colleagues join by invitation, as they would by the emailed link
        _, token = organisation_invitations.issue(owner, organisation.id, email=email, role=role)
        organisation_invitations.accept(people[email], token)
    organisation_invitations.issue(owner, organisation.id, email=PENDING_INVITEE, role=Role.JUDGE)
    participants = [people[email] for email, _, role in PEOPLE if role is None]
    for title, phase, summary, tags in CHALLENGES:
        challenge = challenges.create(
            owner, organisation_id=organisation.id, title=title, summary=summary, tags=tags,
            description=f"{summary} The full brief, data and rules are below.", rules="One entry per person.",
            ip_terms="Winners license their solution to the organisation; all others keep every right.",
            closes_at=clock.now() + timedelta(days=30), prizes=EUR_PRIZES, max_submissions_per_participant=3)
        rubric.replace(owner, challenge.id, RUBRIC)
        _move_to(challenge, phase, owner, participants)
        if phase == "closed":
            _review(challenge, people[PEOPLE[2][0]])
        if phase == "open":
            _community(challenge, owner, participants)
    _scored(owner, organisation.id, participants)


def _community(challenge: Challenge, owner: User, participants: list[User]) -> None:
    """Teams of up to three, a team of Alice and Bob, an answered question and an announcement."""
    alice, bob, carol = participants
    challenge.max_team_size = 3
    db.session.commit()
    team = teams.create(alice, challenge.id, "Gauge Watchers")
    teams.accept(bob, teams.invite(alice, team.id, user_id=bob.id).id)
    question = questions.ask(carol, challenge.id, "May we use rainfall radar data as well as the gauges?")
    questions.answer(owner, question.id, body="Yes: any public data source is allowed.", official=True)
    announcements.post(owner, challenge.id, title="Gauge data refreshed",
                       body="The training data now runs to last week.")


def _review(challenge: Challenge, judge: User) -> None:
    """The judge scores every submission of a closed challenge."""
    criteria = rubric.criteria_of(challenge.id)
    entries = db.session.scalars(db.select(Submission).where(Submission.challenge_id == challenge.id)
                                 .order_by(Submission.id)).all()
    for n, submission in enumerate(entries):
        scores = {str(c.id): (7 + n * 3) % 11 for c in criteria}
        judging.review(judge, submission.id, scores=scores, comment="Solid work.")


def _scored(owner: User, organisation_id: int, participants: list[User]) -> None:
    """An open scored challenge with a hidden key and a few scored predictions."""
    challenge = challenges.create(
        owner, organisation_id=organisation_id, title="Flood or not: gauge alarms", tags=["climate", "ml"],
        summary="Predict which gauge readings precede a flood.", evaluation="scored",
        scoring={"metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2},
        closes_at=clock.now() + timedelta(days=30), prizes=EUR_PRIZES[:1], max_submissions_per_participant=20)
    labels = [random.Random(row).randint(0, 1) for row in range(KEY_ROWS)]
    scoring.upload_key(owner, challenge.id, _csv(labels))
    _move_to(challenge, "open", owner, [])
    for skill, person in zip((0.9, 0.75, 0.6), participants, strict=False):
        guesses = [label if random.Random(f"{person.id}-{row}").random() < skill else 1 - label
                   for row, label in enumerate(labels)]
        scoring.submit(person, challenge, clock.now(), title=f"{person.display_name}'s model", stream=_csv(guesses))


def _csv(values: list[int]) -> io.BytesIO:
    return io.BytesIO(("id,flood\n" + "".join(f"g{row},{value}\n" for row, value in enumerate(values))).encode())


def _move_to(challenge: Challenge, phase: str, owner: User, participants: list[User]) -> None:
    """Put a fresh draft into the phase, with submissions and awards where the phase has them."""
    if phase == "draft":
        return
    now = clock.now()
    opens, closes = {"upcoming": (7, 37), "open": (-3, 14)}.get(phase, (-40, -5))
    challenge.status, challenge.published_at = Status.PUBLISHED, now + timedelta(days=min(opens, 0) - 1)
    challenge.opens_at, challenge.closes_at = now + timedelta(days=opens), now + timedelta(days=closes)
    db.session.commit()
    if phase == "upcoming":
        return
    entries = [_entry(challenge, person, now + timedelta(days=opens + 1)) for person in participants]
    if phase == "open":
        return
    for prize, entry in zip(challenge.prizes, reversed(entries), strict=False):
        db.session.add(Award(challenge_id=challenge.id, prize_id=prize.id, submission_id=entry.id,
                             awarded_by=owner.id, awarded_at=now - timedelta(days=1)))
    if phase == "finalised":
        challenge.status, challenge.finalised_at = Status.FINALISED, now - timedelta(hours=1)
    db.session.commit()


def _entry(challenge: Challenge, person: User, at):
    """A submission stored as if sent at `at`."""
    clock.set_source(lambda: at)
    try:
        return submissions.submit(person, challenge, at, title=f"{person.display_name}'s approach",
                                  summary="A short pitch.", body="The full write-up.",
                                  links=["https://example.org/write-up"])
    finally:
        clock.set_source(None)
