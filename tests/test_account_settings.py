"""Accounts people manage themselves: settings, a pending email, passwords, reset and verification links."""
import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import select, text

from challenges import clock, create_app, jobs
from challenges.extensions import db
from challenges.models import AccountToken, AccountTokenPurpose, Notification, User
from challenges.services import notifications
from config import TestConfig
from tests.factories import (
    PASSWORD, auth_headers, count, make_award, make_challenge, make_organisation, make_submission, make_user,
)
from tests.test_notifications import smtp  # noqa: F401  (a fixture)
from tests.test_rate_limits import limited  # noqa: F401  (a fixture)
from tests.threads import race
from tests.workers import queued_app

API = "/api/v1"
NEW_PASSWORD = "a brand new passphrase"
LINK_GONE = "This link is unknown, used or expired: ask for a new one."


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json(silent=True)  # None for an empty answer


def problem(response, status: int) -> dict:
    """The problem+json body of an error answer of this status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.json["status"] == status
    return response.json


def me(client, user) -> dict:
    return ok(client.get(f"{API}/me", headers=auth_headers(user)))


def sign_in(client, email: str, password: str) -> int:
    return client.post(f"{API}/tokens", json={"email": email, "password": password}).status_code


def link(app, user, purpose: str, raw: str, email: str | None = None, **overrides) -> str:
    """A live link token of the user with a known value (30 minutes by default), sent to their email unless
    another is named."""
    now = clock.now()
    fields = {"created_at": now, "expires_at": now + timedelta(minutes=30)} | overrides
    with app.app_context():
        db.session.add(AccountToken(user_id=user.id, purpose=AccountTokenPurpose(purpose),
                                    token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                                    email=email or user.email, **fields))
        db.session.commit()
    return raw


def mailed_token(message) -> str:
    """The token an email carries."""
    return re.search(r"Token: (\S+)", message.get_content()).group(1)


def verified(app, user) -> bool:
    with app.app_context():
        return db.session.get(User, user.id).email_verified_at is not None


def closed(response):
    """The response, closed: the work scheduled after it (an email) has run."""
    with response:
        return response


# PATCH /me


def test_user_changes_name_language_and_time_zone_and_sees_them(client):
    user = make_user()
    body = ok(client.patch(f"{API}/me", headers=auth_headers(user),
                           json={"display_name": "  Zoé  ", "locale": "fr", "time_zone": "Europe/Paris"}))
    assert (body["display_name"], body["locale"], body["time_zone"]) == ("Zoé", "fr", "Europe/Paris")
    assert me(client, user) | {"created_at": None} == body | {"created_at": None}


def test_user_clears_language_and_time_zone_with_null(client):
    user = make_user(locale="fr", time_zone="Asia/Tokyo")
    body = ok(client.patch(f"{API}/me", headers=auth_headers(user), json={"locale": None, "time_zone": None}))
    assert (body["locale"], body["time_zone"]) == (None, None)


def test_user_patches_me_with_empty_body_changes_nothing(client):
    user = make_user()
    assert ok(client.patch(f"{API}/me", headers=auth_headers(user), json={})) == me(client, user)


@pytest.mark.parametrize("payload, field", [
    ({"display_name": "   "}, "display_name"), ({"display_name": "x" * 101}, "display_name"),
    ({"display_name": 5}, "display_name"), ({"display_name": None}, "display_name"),
    ({"locale": "de"}, "locale"), ({"locale": 1}, "locale"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"), ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"time_zone": "Europe/" + "x" * 60}, "time_zone"), ({"time_zone": 2}, "time_zone"),
    ({"email": "not an email", "current_password": PASSWORD}, "email"), ({"email": None}, "email"),
    ({"email": "new@example.com"}, "current_password"),
    ({"email_notifications": "yes"}, "email_notifications"), ({"is_admin": True}, "is_admin"),
])
def test_user_patches_me_with_bad_field_gets_422_and_nothing_changes(client, payload, field):
    user = make_user()
    before = me(client, user)
    response = client.patch(f"{API}/me", headers=auth_headers(user), json={"time_zone": "Asia/Tokyo"} | payload)
    body = problem(response, 422)
    assert list(body["errors"]) == [field]
    assert me(client, user) == before


def test_user_takes_a_spam_display_name_gets_422(client):
    user = make_user()
    body = problem(client.patch(f"{API}/me", headers=auth_headers(user), json={"display_name": "Buy Cialis"}), 422)
    assert list(body["errors"]) == ["display_name"]
    assert me(client, user)["display_name"] == user.display_name


def test_anonymous_patches_me_gets_401_before_the_body_is_read(client):
    assert problem(client.patch(f"{API}/me", json={"locale": "xx"}), 401)["title"] == "Unauthorized"


# A new email


def test_user_changes_email_it_waits_for_the_link_sent_to_the_new_address(app, client, smtp):
    smtp.start()
    user = make_user()
    response = closed(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "New@Example.com", "current_password": PASSWORD}))
    body = ok(response)
    assert (body["email"], body["pending_email"], body["email_verified"]) == (user.email, "new@example.com", True)
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == ["new@example.com"] and message["Subject"] == "Confirm your email address"
    token = mailed_token(message)
    assert f"http://localhost:8000/verify-email#token={token}" in message.get_content()
    assert sign_in(client, "new@example.com", PASSWORD) == 401  # not applied until verified
    assert ok(client.post(f"{API}/email-verifications/{token}"), 204) is None
    after = me(client, user)
    assert (after["email"], after["pending_email"], after["email_verified"]) == ("new@example.com", None, True)
    assert sign_in(client, "new@example.com", PASSWORD) == 201 and sign_in(client, user.email, PASSWORD) == 401


def test_user_changes_email_with_wrong_password_gets_422_and_nothing_waits(client):
    user = make_user()
    body = problem(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "new@example.com", "current_password": "not my password"}), 422)
    assert body["errors"] == {"current_password": ["The current password is wrong."]}
    assert me(client, user)["pending_email"] is None and count(AccountToken) == 0


def test_user_changes_email_to_a_taken_one_gets_409(client):
    user, other = make_user(), make_user()
    body = problem(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": other.email.upper(), "current_password": PASSWORD}), 409)
    assert body["detail"] == "An account with this email already exists."
    assert me(client, user)["pending_email"] is None


def test_user_verifies_new_email_taken_meanwhile_gets_409_and_keeps_the_old(app, client, smtp):
    smtp.start()
    user = make_user()
    ok(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "wanted@example.com", "current_password": PASSWORD}))
    token = link(app, user, "verify", "taken-meanwhile", email="wanted@example.com")
    make_user(email="wanted@example.com")
    body = problem(client.post(f"{API}/email-verifications/{token}"), 409)
    assert body["detail"] == "Another account has this email address now."
    assert (me(client, user)["email"], me(client, user)["pending_email"]) == (user.email, "wanted@example.com")


def test_user_takes_back_current_email_and_the_pending_link_stops_working(app, client, smtp):
    smtp.start()
    user = make_user()
    ok(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "other@example.com", "current_password": PASSWORD}))
    token = link(app, user, "verify", "stale-pending", email="other@example.com")
    body = ok(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": user.email, "current_password": PASSWORD}))
    assert body["pending_email"] is None
    assert problem(client.post(f"{API}/email-verifications/{token}"), 404)["detail"] == LINK_GONE
    assert me(client, user)["email"] == user.email


def test_without_email_sign_up_counts_as_verified_and_a_new_email_applies_at_once(client):
    registered = ok(client.post(f"{API}/users", json={
        "email": "ann@example.com", "password": NEW_PASSWORD, "display_name": "Ann"}), 201)
    assert registered["email_verified"] is True and count(AccountToken) == 0
    user = make_user(email_verified_at=None)
    body = ok(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "moved@example.com", "current_password": PASSWORD}))
    assert (body["email"], body["pending_email"], body["email_verified"]) == ("moved@example.com", None, True)
    assert sign_in(client, "moved@example.com", PASSWORD) == 201


def test_user_reading_french_gets_the_verification_email_in_french(client, smtp):
    smtp.start()
    user = make_user(locale="fr")
    closed(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "nouveau@example.com", "current_password": PASSWORD}))
    [(_, message)] = smtp.inbox.messages()
    assert message["Subject"] == "Confirmez votre adresse e-mail" and message["Content-Language"] == "fr"
    assert message.get_content().startswith(f"Bonjour {user.display_name},")


def test_member_email_shows_times_in_the_recipients_time_zone(app):
    notification = Notification(kind="challenge.deadline_approaching",
                                data={"challenge": {"title": "Water", "closes_at": "2030-01-08T12:00:00+00:00"}})
    paris = SimpleNamespace(email="ada@example.com", display_name="Ada", time_zone="Europe/Paris")
    anywhere = SimpleNamespace(email="bob@example.com", display_name="Bob", time_zone=None)
    with app.app_context():
        shown = notifications.compose(notification, paris).get_content()
        plain = notifications.compose(notification, anywhere).get_content()
    assert "challenge.closes_at: 2030-01-08T13:00:00+01:00 (Europe/Paris)" in shown
    assert "challenge.closes_at: 2030-01-08T12:00:00+00:00" in plain


# Sign-up verification


def test_anonymous_registers_gets_a_verification_link_and_verifies(app, client, smtp):
    smtp.start()
    response = closed(client.post(f"{API}/users", json={
        "email": "ann@example.com", "password": NEW_PASSWORD, "display_name": "Ann"}))
    assert ok(response, 201)["email_verified"] is False
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == ["ann@example.com"] and "within 48 hours" in message.get_content()
    token = mailed_token(message)
    ok(client.post(f"{API}/email-verifications/{token}", json={}), 204)
    user = SimpleNamespace(id=ok(response, 201)["id"])
    assert verified(app, user)
    assert problem(client.post(f"{API}/email-verifications/{token}"), 404)["detail"] == LINK_GONE


def test_anonymous_verifies_unknown_or_expired_token_gets_404(app, client, time_machine):
    user = make_user(email_verified_at=None)
    token = link(app, user, "verify", "expiring", expires_at=clock.now() + timedelta(hours=48))
    reset = link(app, user, "reset", "a-reset-token")
    assert problem(client.post(f"{API}/email-verifications/unknown-token"), 404)["detail"] == LINK_GONE
    assert problem(client.post(f"{API}/email-verifications/{reset}"), 404)["detail"] == LINK_GONE  # another purpose
    time_machine.travel(hours=48)
    assert problem(client.post(f"{API}/email-verifications/{token}"), 404)["detail"] == LINK_GONE
    assert not verified(app, user)


def test_anonymous_verifies_with_a_body_gets_422(app, client):
    user = make_user(email_verified_at=None)
    token = link(app, user, "verify", "with-body")
    assert list(problem(client.post(f"{API}/email-verifications/{token}", json={"x": 1}), 422)["errors"]) == ["x"]
    assert not verified(app, user)


def test_unverified_user_asks_for_a_fresh_link_and_the_old_one_lapses(app, client, smtp):
    smtp.start()
    user = make_user(email_verified_at=None)
    old = link(app, user, "verify", "old-link")
    assert closed(client.post(f"{API}/me/email-verification", headers=auth_headers(user))) \
        .status_code == 202
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [user.email]
    assert problem(client.post(f"{API}/email-verifications/{old}"), 404)["detail"] == LINK_GONE
    ok(client.post(f"{API}/email-verifications/{mailed_token(message)}"), 204)
    assert me(client, user)["email_verified"] is True


def test_verified_user_asks_for_a_link_gets_409(client):
    body = problem(client.post(f"{API}/me/email-verification", headers=auth_headers(make_user())), 409)
    assert body["detail"] == "Your email address is verified already."


# What an unverified account may not do


def test_unverified_participant_browses_and_submits(client):
    participant = make_user(email_verified_at=None)
    challenge = make_challenge(make_organisation(make_user()), "open")
    assert ok(client.get(f"{API}/challenges/{challenge.id}", headers=auth_headers(participant)))["phase"] == "open"
    body = ok(client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(participant),
                          json={"title": "Mine", "accept_terms": True}), 201)
    assert body["title"] == "Mine"


def test_unverified_invitee_accepts_gets_409_until_they_verify(app, client):
    owner, newcomer = make_user(), make_user(email_verified_at=None)
    organisation = make_organisation(owner)
    invited = ok(client.post(f"{API}/organisations/{organisation.id}/invitations", headers=auth_headers(owner),
                             json={"role": "judge", "email": newcomer.email}), 201)
    accept = f"{API}/organisation-invitations/{invited['token']}/accept"
    body = problem(client.post(accept, headers=auth_headers(newcomer)), 409)
    assert body["detail"] == "Verify your email address first; then you can accept the invitation."
    token = link(app, newcomer, "verify", "newcomer-verifies")
    ok(client.post(f"{API}/email-verifications/{token}"), 204)
    assert ok(client.post(accept, headers=auth_headers(newcomer)))["role"] == "judge"


def test_manager_pays_an_unverified_winner_gets_409_until_they_verify(app, client):
    owner, winner = make_user(), make_user(email_verified_at=None)
    challenge = make_challenge(make_organisation(owner), "finalised")
    award = make_award(challenge, challenge.prize_ids[0], make_submission(challenge, winner), owner)
    payout = f"{API}/awards/{award.id}/payout"
    body = problem(client.post(payout, headers=auth_headers(owner), json={"reference": "SEPA 1"}), 409)
    assert body["detail"] == (f"No payout before the winner has verified their email address (not yet verified: "
                              f"{winner.display_name}).")
    ok(client.post(f"{API}/email-verifications/{link(app, winner, 'verify', 'winner-verifies')}"), 204)
    assert ok(client.post(payout, headers=auth_headers(owner), json={"reference": "SEPA 1"}))["status"] == "paid"


# POST /me/password


def test_user_changes_password_other_tokens_revoked_this_one_kept(client):
    user = make_user()
    other = client.post(f"{API}/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    response = client.post(f"{API}/me/password", headers=auth_headers(user),
                           json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert (response.status_code, response.get_data()) == (204, b"")
    assert me(client, user)["id"] == user.id
    assert problem(client.get(f"{API}/me", headers={"Authorization": f"Bearer {other}"}), 401)["status"] == 401
    assert sign_in(client, user.email, PASSWORD) == 401 and sign_in(client, user.email, NEW_PASSWORD) == 201


@pytest.mark.parametrize("payload, field", [
    ({"current_password": "not my password", "new_password": NEW_PASSWORD}, "current_password"),
    ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
    ({"current_password": PASSWORD}, "new_password"), ({"new_password": NEW_PASSWORD}, "current_password"),
    ({"current_password": PASSWORD, "new_password": 1234567890123}, "new_password"),
    ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "token": "x"}, "token"),
])
def test_user_changes_password_badly_gets_422_and_keeps_it(client, payload, field):
    user = make_user()
    body = problem(client.post(f"{API}/me/password", headers=auth_headers(user), json=payload), 422)
    assert list(body["errors"]) == [field]
    assert sign_in(client, user.email, PASSWORD) == 201 and me(client, user)["id"] == user.id


def test_anonymous_changes_password_gets_401(client):
    response = client.post(f"{API}/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert problem(response, 401)["detail"]


# Password resets


ACCEPTED = {"detail": "If an account has this address, a link to reset its password is on its way."}


def test_anonymous_asks_for_a_reset_and_the_link_arrives(client, smtp):
    smtp.start()
    user = make_user()
    response = closed(client.post(f"{API}/password-resets", json={"email": user.email.upper()}))
    assert (response.status_code, response.json) == (202, ACCEPTED)
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [user.email] and message["Subject"] == "Reset your password"
    token = mailed_token(message)
    assert f"http://localhost:8000/reset-password#token={token}" in message.get_content()
    with client.application.app_context():  # stored hashed, never in clear
        stored = db.session.scalar(select(AccountToken))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash


def test_anonymous_asks_reset_for_unknown_email_gets_the_same_answer_and_nothing_is_sent(client, smtp):
    smtp.start()
    response = closed(client.post(f"{API}/password-resets", json={"email": "nobody@example.com"}))
    assert (response.status_code, response.json) == (202, ACCEPTED)
    assert smtp.inbox.messages() == [] and count(AccountToken) == 0


def test_suspended_account_asks_for_a_reset_gets_the_same_answer_and_no_link(client, smtp):
    smtp.start()
    user = make_user(suspended_at=clock.now(), suspension_reason="Spam")
    response = closed(client.post(f"{API}/password-resets", json={"email": user.email}))
    assert (response.status_code, response.json) == (202, ACCEPTED)
    assert smtp.inbox.messages() == [] and count(AccountToken) == 0


def test_reset_email_while_the_mail_server_is_down_is_retried_unless_superseded(app, client, smtp, monkeypatch):
    retries = []
    monkeypatch.setattr(jobs, "enqueue_in", lambda seconds, job, *args: retries.append((seconds, job, args)))
    user = make_user()
    assert closed(client.post(f"{API}/password-resets", json={"email": user.email})).status_code == 202
    [(seconds, job, args)] = retries  # the server is down: a retry, 10 s later
    assert seconds == 10 and args[-1] == 2
    smtp.start()
    with app.app_context():
        job(*args)
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [user.email] and message["Subject"] == "Reset your password"
    ok(client.post(f"{API}/password-resets/{mailed_token(message)}", json={"new_password": NEW_PASSWORD}), 204)
    with app.app_context():  # once used, a late retry sends nothing
        job(*args)
    assert len(smtp.inbox.messages()) == 1


@pytest.mark.parametrize("payload, field", [
    ({}, "email"), ({"email": "not an email"}, "email"), ({"email": 5}, "email"),
    ({"email": "a@example.com", "extra": 1}, "extra"),
])
def test_anonymous_asks_reset_with_bad_body_gets_422(client, payload, field):
    assert list(problem(client.post(f"{API}/password-resets", json=payload), 422)["errors"]) == [field]


def test_anonymous_resets_password_every_token_revoked_and_link_used_once(app, client):
    user = make_user(email_verified_at=None)
    token = link(app, user, "reset", "reset-once")
    response = client.post(f"{API}/password-resets/{token}", json={"new_password": NEW_PASSWORD})
    assert (response.status_code, response.get_data()) == (204, b"")
    assert problem(client.get(f"{API}/me", headers=auth_headers(user)), 401)["status"] == 401
    assert sign_in(client, user.email, NEW_PASSWORD) == 201 and sign_in(client, user.email, PASSWORD) == 401
    assert verified(app, user)  # the link reached the address
    again = client.post(f"{API}/password-resets/{token}", json={"new_password": "yet another passphrase"})
    assert problem(again, 404)["detail"] == LINK_GONE


def test_anonymous_resets_with_weak_password_gets_422_and_the_link_still_works(app, client):
    user = make_user()
    token = link(app, user, "reset", "reset-weak")
    body = problem(client.post(f"{API}/password-resets/{token}", json={"new_password": "short"}), 422)
    assert list(body["errors"]) == ["new_password"]
    assert list(problem(client.post(f"{API}/password-resets/{token}", json={}), 422)["errors"]) == ["new_password"]
    ok(client.post(f"{API}/password-resets/{token}", json={"new_password": NEW_PASSWORD}), 204)


def test_anonymous_resets_with_unknown_expired_or_superseded_token_gets_404(app, client, time_machine):
    user = make_user()
    expiring = link(app, user, "reset", "reset-expiring")
    assert problem(client.post(f"{API}/password-resets/nope", json={"new_password": NEW_PASSWORD}), 404)["detail"] \
        == LINK_GONE
    assert problem(client.post(f"{API}/password-resets/{'x' * 129}", json={"new_password": NEW_PASSWORD}), 404)
    time_machine.travel(minutes=30)
    assert problem(client.post(f"{API}/password-resets/{expiring}", json={"new_password": NEW_PASSWORD}), 404)
    time_machine.travel(minutes=-30)
    ok(client.post(f"{API}/password-resets", json={"email": user.email}), 202)  # a newer link supersedes
    assert problem(client.post(f"{API}/password-resets/{expiring}", json={"new_password": NEW_PASSWORD}), 404)
    assert sign_in(client, user.email, PASSWORD) == 201


def test_reset_link_sent_to_an_old_address_stops_working_once_the_email_changed(app, client, smtp):
    smtp.start()
    user = make_user()
    old_link = link(app, user, "reset", "to-old-address")
    ok(client.patch(f"{API}/me", headers=auth_headers(user), json={
        "email": "moved@example.com", "current_password": PASSWORD}))
    ok(client.post(f"{API}/email-verifications/{link(app, user, 'verify', 'moved', email='moved@example.com')}"),
       204)
    assert problem(client.post(f"{API}/password-resets/{old_link}", json={"new_password": NEW_PASSWORD}), 404)


def test_anonymous_asks_resets_too_often_gets_429(limited):  # noqa: F811
    client = limited(RATELIMIT_PASSWORD_RESET="2/minute")
    statuses = [client.post(f"{API}/password-resets", json={"email": "a@example.com"}).status_code for _ in range(2)]
    refused = client.post(f"{API}/password-resets/some-token", json={"new_password": NEW_PASSWORD})
    assert statuses == [202, 202]
    assert problem(refused, 429)["status"] == 429 and int(refused.headers["Retry-After"]) > 0


def test_two_resets_with_one_token_at_once_exactly_one_succeeds(app, api):
    user = make_user()
    token = link(app, user, "reset", "raced-token")
    url = f"{api}/password-resets/{token}"
    responses = race(*(lambda n=n: requests.post(url, json={"new_password": f"{NEW_PASSWORD} {n}"}, timeout=30)
                       for n in range(2)))
    assert sorted(r.status_code for r in responses) == [204, 404]
    winner = next(n for n, r in enumerate(responses) if r.status_code == 204)
    assert requests.post(f"{api}/tokens", json={"email": user.email, "password": f"{NEW_PASSWORD} {winner}"},
                         timeout=30).status_code == 201


def test_operator_upgrades_and_existing_accounts_count_as_verified(tmp_path):
    class Earlier(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'earlier.db'}"

    earlier = create_app(Earlier)
    with earlier.app_context():
        upgrade(revision="0018")
        db.session.execute(text('INSERT INTO "user" (email, password_hash, display_name, is_admin, created_at) '
                                "VALUES ('old@example.com', 'x', 'Old', false, '2029-05-01 10:00:00')"))
        db.session.commit()
        upgrade()
        verified_at, created_at = db.session.execute(text('SELECT email_verified_at, created_at FROM "user"')).one()
        db.session.remove()
        db.engine.dispose()
    assert verified_at == created_at and verified_at is not None


def test_reset_link_waits_in_the_job_queue_sealed_and_arrives_when_the_worker_runs(app, smtp):  # noqa: F811
    user = make_user()
    smtp.start()
    with queued_app(app, SMTP_URL=app.config["SMTP_URL"]) as queued:
        response = queued.app.test_client().post("/api/v1/password-resets", json={"email": user.email})
        assert response.status_code == 202
        [job] = queued.queue.get_jobs()
        with queued.app.app_context():
            jobs.work(burst=True)
    [(recipients, message)] = smtp.inbox.messages()
    raw = mailed_token(message)
    assert recipients == [user.email]
    assert raw not in repr(job.args)  # what Redis keeps, and what a failed job's log line would show
