"""In-app notifications, the email preference, and emails handed to a real local SMTP server."""
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from challenges.extensions import db
from challenges.models import Notification, User
from challenges.services import outbox
from tests.factories import (
    add_member, auth_headers, make_award, make_challenge, make_organisation, make_submission, make_user,
)

API = "/api/v1"
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)
ENTRY = {"title": "Mine", "summary": "Short", "body": "Long", "links": [], "accept_terms": True}


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


@pytest.fixture
def world(time_machine):
    """An organisation with an owner and a manager, an open challenge, and two participants."""
    owner, manager, alice, bob = make_user(), make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    challenge = make_challenge(organisation, phase="open")
    return SimpleNamespace(owner=owner, manager=manager, alice=alice, bob=bob, organisation=organisation,
                           challenge=challenge)


def notes(client, user, **params):
    return ok(client.get(f"{API}/notifications", headers=auth_headers(user), query_string={"limit": 100} | params))


def kinds(client, user):
    return [n["kind"] for n in notes(client, user)["items"]]


def submit(client, challenge, user):
    """Submit over HTTP, closing the response so the after-response relay runs."""
    with client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(user),
                     json=ENTRY) as response:
        return ok(response, 201)


def email_rows(app):
    with app.app_context():
        return [SimpleNamespace(user_id=n.user_id, kind=n.kind, status=n.email_status, attempts=n.email_attempts,
                                next_at=n.email_next_attempt_at)
                for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def test_participant_submits_gets_receipt_notification(client, world):
    receipt = submit(client, world.challenge, world.alice)
    [note] = notes(client, world.alice)["items"]
    assert note | {"id": None, "data": None} == {"id": None, "kind": "submission.received",
                                                 "created_at": T0.isoformat(), "read_at": None, "data": None}
    submission = note["data"]["submission"]
    assert (submission["id"], submission["content_sha256"], submission["participant_id"]) == (
        receipt["id"], receipt["content_sha256"], world.alice.id)
    assert note["data"]["challenge"]["id"] == world.challenge.id
    assert [kinds(client, user) for user in (world.bob, world.owner)] == [[], []]


def test_asker_gets_answer_notification(client, world):
    question = ok(client.post(f"{API}/challenges/{world.challenge.id}/questions", headers=auth_headers(world.alice),
                              json={"body": "May I use R?"}), 201)
    ok(client.post(f"{API}/questions/{question['id']}/answer", headers=auth_headers(world.owner),
                   json={"body": "Yes.", "official": True}))
    [note] = notes(client, world.alice)["items"]
    assert (note["kind"], note["data"]["question"]) == ("question.answered", {
        "id": question["id"], "body": "May I use R?", "asker_id": world.alice.id,
        "answer": {"body": "Yes.", "official": True}})
    assert [kinds(client, user) for user in (world.bob, world.owner)] == [[], []]


def test_participant_gets_announcements_of_joined_challenge_only(client, world):
    other = make_challenge(world.organisation, phase="open")
    make_submission(world.challenge, world.alice)
    make_submission(other, world.bob)
    created = ok(client.post(f"{API}/challenges/{world.challenge.id}/announcements", headers=auth_headers(world.owner),
                             json={"title": "Office hours", "body": "Thursday"}), 201)
    later = (world.challenge.closes_at + timedelta(days=2)).isoformat()
    ok(client.patch(f"{API}/challenges/{world.challenge.id}", headers=auth_headers(world.owner),
                    json={"closes_at": later}))
    ok(client.post(f"{API}/challenges/{world.challenge.id}/cancel", headers=auth_headers(world.owner),
                   json={"reason": "Funding"}))
    items = notes(client, world.alice)["items"]
    assert [(n["kind"], n["data"]["announcement"]["kind"]) for n in items] == [
        ("announcement.posted", "cancelled"), ("announcement.posted", "deadline_extended"),
        ("announcement.posted", "message")]
    assert items[-1]["data"]["announcement"] == {"id": created["id"], "kind": "message", "title": "Office hours",
                                                 "body": "Thursday"}
    assert items[-1]["data"]["challenge"]["id"] == world.challenge.id
    assert kinds(client, world.bob) == []


def test_participants_get_results_winners_with_their_awards(client, time_machine):
    owner, alice, bob = make_user(), make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="closed")
    alice_entry, _ = make_submission(challenge, alice), make_submission(challenge, bob)
    award = make_award(challenge, challenge.prize_ids[0], alice_entry, owner)
    ok(client.post(f"{API}/challenges/{challenge.id}/finalise", headers=auth_headers(owner)))
    [won] = notes(client, alice)["items"]
    [lost] = notes(client, bob)["items"]
    assert (won["kind"], lost["kind"], lost["data"]["awards"]) == ("challenge.finalised", "challenge.finalised", [])
    assert won["data"]["awards"] == [{"id": award.id, "challenge_id": challenge.id, "prize_id": challenge.prize_ids[0],
                                      "submission_id": alice_entry.id, "status": "awarded", "payout_reference": None,
                                      "prize": "Prize 1"}]
    assert won["data"]["challenge"]["status"] == lost["data"]["challenge"]["status"] == "finalised"
    ok(client.post(f"{API}/awards/{award.id}/payout", headers=auth_headers(owner), json={"reference": "SEPA-7"}))
    assert kinds(client, alice) == ["award.paid", "challenge.finalised"]
    paid = notes(client, alice)["items"][0]["data"]["award"]
    assert (paid["id"], paid["status"], paid["payout_reference"]) == (award.id, "paid", "SEPA-7")
    assert kinds(client, bob) == ["challenge.finalised"] and kinds(client, owner) == []


def test_participant_gets_disqualification_notification(client, world):
    entry = make_submission(world.challenge, world.alice)
    ok(client.post(f"{API}/submissions/{entry.id}/disqualify", headers=auth_headers(world.manager),
                   json={"reason": "Plagiarism"}))
    [note] = notes(client, world.alice)["items"]
    assert (note["kind"], note["data"]["reason"], note["data"]["submission"]["id"],
            note["data"]["submission"]["status"]) == ("submission.disqualified", "Plagiarism", entry.id, "disqualified")


def test_participant_lists_own_notifications_newest_first_paged(client, world, time_machine):
    for _ in range(3):
        submit(client, world.challenge, world.alice)
        time_machine.travel(minutes=1)
    submit(client, world.challenge, world.bob)
    items = notes(client, world.alice)["items"]
    assert [n["created_at"] for n in items] == [(T0 + timedelta(minutes=m)).isoformat() for m in (2, 1, 0)]
    first = notes(client, world.alice, limit=2)
    second = notes(client, world.alice, limit=2, cursor=first["next_cursor"])
    assert (first["items"] + second["items"], second["next_cursor"]) == (items, None)
    assert len(notes(client, world.bob)["items"]) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer expired-or-made-up"}])
def test_anonymous_lists_notifications_unauthorized(client, headers):
    assert ok(client.get(f"{API}/notifications", headers=headers), 401)["status"] == 401


def test_participant_reads_notification_once(client, world, time_machine):
    submit(client, world.challenge, world.alice)
    [note] = notes(client, world.alice)["items"]
    time_machine.travel(minutes=5)
    first = ok(client.post(f"{API}/notifications/{note['id']}/read", headers=auth_headers(world.alice)))
    assert first == note | {"read_at": (T0 + timedelta(minutes=5)).isoformat()}
    time_machine.travel(minutes=5)
    again = ok(client.post(f"{API}/notifications/{note['id']}/read", headers=auth_headers(world.alice), json={}))
    assert again == first and notes(client, world.alice)["items"] == [first]


def test_other_user_reads_notification_not_found_unchanged(client, world):
    submit(client, world.challenge, world.alice)
    [note] = notes(client, world.alice)["items"]
    for user, notification_id in ((world.bob, note["id"]), (world.owner, note["id"]), (world.alice, note["id"] + 99)):
        response = client.post(f"{API}/notifications/{notification_id}/read", headers=auth_headers(user))
        assert ok(response, 404)["status"] == 404
    assert ok(client.post(f"{API}/notifications/{note['id']}/read"), 401)["status"] == 401
    assert notes(client, world.alice)["items"] == [note]


@pytest.mark.parametrize("payload", [{"read": True}, [], "x", 1])
def test_participant_reads_notification_with_body_unprocessable(client, world, payload):
    submit(client, world.challenge, world.alice)
    [note] = notes(client, world.alice)["items"]
    response = client.post(f"{API}/notifications/{note['id']}/read", headers=auth_headers(world.alice), json=payload)
    assert ok(response, 422)["status"] == 422
    assert notes(client, world.alice)["items"] == [note]


def test_other_user_reads_notification_with_body_not_found(client, world):
    submit(client, world.challenge, world.alice)
    [note] = notes(client, world.alice)["items"]
    response = client.post(f"{API}/notifications/{note['id']}/read", headers=auth_headers(world.bob),
                           json={"read": True})
    assert response.status_code == 404


def email_preference(app, user):
    with app.app_context():
        return db.session.get(User, user.id).email_notifications


def test_user_turns_email_notifications_off_and_on(app, client, world):
    body = ok(client.patch(f"{API}/me", headers=auth_headers(world.alice), json={"email_notifications": False}))
    assert (body["id"], body["email"]) == (world.alice.id, world.alice.email)
    assert email_preference(app, world.alice) is False and email_preference(app, world.bob) is True
    ok(client.patch(f"{API}/me", headers=auth_headers(world.alice), json={"email_notifications": True}))
    assert email_preference(app, world.alice) is True


@pytest.mark.parametrize("payload, field", [
    ({"email_notifications": "no"}, "email_notifications"),
    ({"email_notifications": None}, "email_notifications"), ({"email_notifications": "false"}, "email_notifications"),
    ({"email_notifications": False, "is_admin": True}, "is_admin"),
])
def test_user_updates_me_invalid_unprocessable_unchanged(app, client, world, payload, field):
    response = client.patch(f"{API}/me", headers=auth_headers(world.alice), json=payload)
    assert list(ok(response, 422)["errors"]) == [field]
    assert email_preference(app, world.alice) is True


@pytest.mark.parametrize("value", [0, 1])
def test_user_updates_me_with_number_unprocessable(app, client, world, value):
    response = client.patch(f"{API}/me", headers=auth_headers(world.alice), json={"email_notifications": value})
    assert response.status_code == 422


@pytest.mark.parametrize("payload", [{"email_notifications": False}, {"bogus": 1}])
def test_anonymous_updates_me_unauthorized(client, payload):
    assert ok(client.patch(f"{API}/me", json=payload), 401)["status"] == 401


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [(e.rcpt_tos, message_from_bytes(e.content, policy=policy.default)) for e in self.envelopes]


class MailServer:
    """A real SMTP server on 127.0.0.1, started and stopped by the test."""

    def __init__(self, port):
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app, monkeypatch):
    """SMTP_URL pointing at a local port; the server on it is started by the test (so it can also be down)."""
    server = MailServer(free_port())
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{server.port}")
    yield server
    server.stop()


def test_participant_submits_receipt_email_arrives(app, client, world, smtp):
    smtp.start()
    receipt = submit(client, world.challenge, world.alice)
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [world.alice.email] and message["To"] == world.alice.email
    assert message["Subject"].startswith("We received your submission")
    assert f"content_sha256: {receipt['content_sha256']}" in message.get_content()
    assert [(r.user_id, r.status, r.attempts, r.next_at) for r in email_rows(app)] == [
        (world.alice.id, "sent", 1, None)]


def test_asker_answer_email_arrives(client, world, smtp):
    smtp.start()
    with client.post(f"{API}/challenges/{world.challenge.id}/questions", headers=auth_headers(world.alice),
                     json={"body": "May I use R?"}) as response:
        question = ok(response, 201)
    with client.post(f"{API}/questions/{question['id']}/answer", headers=auth_headers(world.owner),
                     json={"body": "Yes, any language."}) as response:
        ok(response)
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [world.alice.email] and message["Subject"].startswith("Your question was answered")
    assert "Yes, any language." in message.get_content()


def test_opted_out_participant_gets_in_app_notification_but_no_email(app, client, world, smtp):
    smtp.start()
    ok(client.patch(f"{API}/me", headers=auth_headers(world.alice), json={"email_notifications": False}))
    submit(client, world.challenge, world.alice)
    submit(client, world.challenge, world.bob)
    assert kinds(client, world.alice) == ["submission.received"]
    assert [recipients for recipients, _ in smtp.inbox.messages()] == [[world.bob.email]]
    assert [(r.user_id, r.status) for r in email_rows(app)] == [(world.alice.id, None), (world.bob.id, "sent")]


def test_participant_submits_without_smtp_url_no_email_attempted(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    submit(client, world.challenge, world.alice)
    with app.app_context():
        outbox.relay()
    assert kinds(client, world.alice) == ["submission.received"]
    assert [(r.status, r.attempts, r.next_at) for r in email_rows(app)] == [(None, 0, None)]


def test_mail_server_down_email_pending_then_sent_once_after_retry(app, client, world, smtp, monkeypatch,
                                                                  time_machine):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 3600)  # the retry timer never fires in the run
    receipt = submit(client, world.challenge, world.alice)
    assert [(r.status, r.attempts, r.next_at) for r in email_rows(app)] == [("pending", 1, T0 + timedelta(hours=1))]
    smtp.start()
    time_machine.travel(minutes=59)
    with app.app_context():
        outbox.relay()
    assert smtp.inbox.envelopes == []
    time_machine.travel(minutes=1)
    with app.app_context():
        outbox.relay()
        outbox.relay()
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [world.alice.email] and receipt["content_sha256"] in message.get_content()
    assert [(r.status, r.attempts, r.next_at) for r in email_rows(app)] == [("sent", 2, None)]


def test_participant_opts_out_while_email_pending_never_emailed(app, client, world, smtp, monkeypatch, time_machine):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 3600)
    submit(client, world.challenge, world.alice)
    ok(client.patch(f"{API}/me", headers=auth_headers(world.alice), json={"email_notifications": False}))
    smtp.start()
    time_machine.travel(hours=2)
    with app.app_context():
        outbox.relay()
    assert smtp.inbox.envelopes == []
    assert [(r.status, r.attempts) for r in email_rows(app)] == [(None, 1)]
    assert kinds(client, world.alice) == ["submission.received"]


def test_mail_server_down_email_given_up_after_max_attempts(app, client, world, smtp, monkeypatch, time_machine):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 3600)
    monkeypatch.setitem(app.config, "EMAIL_MAX_ATTEMPTS", 2)
    submit(client, world.challenge, world.alice)
    time_machine.travel(hours=1)
    with app.app_context():
        outbox.relay()
    assert [(r.status, r.attempts, r.next_at) for r in email_rows(app)] == [("failed", 2, None)]
    smtp.start()
    time_machine.travel(days=1)
    with app.app_context():
        outbox.relay()
    assert smtp.inbox.envelopes == [] and kinds(client, world.alice) == ["submission.received"]


def test_participant_submits_to_challenge_with_multiline_title_email_arrives(app, client, world, smtp):
    smtp.start()
    challenge = make_challenge(world.organisation, phase="open", title="Clean water\nfor everyone")
    submit(client, challenge, world.alice)
    assert [(r.status, r.attempts) for r in email_rows(app)] == [("sent", 1)]
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [world.alice.email] and "Clean water" in message["Subject"]
