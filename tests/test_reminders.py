"""Deadline reminders and `flask relay`: participants are told once per deadline, a day before it."""
from datetime import timedelta

from challenges.extensions import db
from challenges.models import Notification
from challenges.services import reminders
from tests.factories import auth_headers, make_challenge, make_organisation, make_submission, make_user


def _kinds(client, user) -> list[str]:
    return [item["kind"] for item in client.get("/api/v1/notifications", headers=auth_headers(user)).json["items"]]


def _reminders() -> list[tuple[int, str]]:
    query = db.select(Notification).where(Notification.kind == "challenge.deadline_approaching")
    return [(n.user_id, n.data["challenge"]["closes_at"]) for n in db.session.scalars(query.order_by(Notification.id))]


def test_participant_is_reminded_once_within_a_day_of_the_deadline(app, client, time_machine):
    owner, alice, bob = make_user(), make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "open", closes_at=time_machine.now + timedelta(hours=30))
    make_submission(challenge, alice)
    with app.app_context():
        assert reminders.remind_due() == 0  # 30 hours ahead: not yet
        time_machine.travel(hours=7)
        assert reminders.remind_due() == 1
        assert reminders.remind_due() == 0  # once per deadline
        assert [user_id for user_id, _ in _reminders()] == [alice.id]
    assert _kinds(client, alice) == ["challenge.deadline_approaching"]
    assert _kinds(client, bob) == []


def test_participant_is_reminded_again_after_an_extension(app, client, time_machine):
    owner, alice = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "open", closes_at=time_machine.now + timedelta(hours=10))
    make_submission(challenge, alice)
    with app.app_context():
        assert reminders.remind_due() == 1
    later = (time_machine.now + timedelta(hours=20)).isoformat()
    response = client.patch(f"/api/v1/challenges/{challenge.id}", json={"closes_at": later},
                            headers=auth_headers(owner))
    assert response.status_code == 200
    with app.app_context():
        assert reminders.remind_due() == 1
        assert [closes_at for _, closes_at in _reminders()] == [challenge.closes_at.isoformat(), later]


def test_closed_upcoming_and_draft_challenges_are_not_reminded(app, time_machine):
    owner, alice = make_user(), make_user()
    organisation = make_organisation(owner)
    for phase in ("closed", "upcoming", "draft", "finalised", "cancelled"):
        make_submission(make_challenge(organisation, phase), alice) if phase != "draft" else None
    with app.app_context():
        time_machine.travel(days=6, hours=12)  # the upcoming one opens in a week; the cancelled one closes then
        assert reminders.remind_due() == 0
        assert _reminders() == []


def test_operator_relays_reminders_from_the_command_line(app, client, time_machine):
    owner, alice = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "open", closes_at=time_machine.now + timedelta(hours=2))
    make_submission(challenge, alice)
    result = app.test_cli_runner().invoke(args=["relay"])
    assert result.exit_code == 0, result.output
    assert _kinds(client, alice) == ["challenge.deadline_approaching"]
