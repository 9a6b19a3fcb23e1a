"""Idempotency-Key: a retried POST returns the first answer and creates nothing twice."""
from challenges.models import Submission
from tests.factories import auth_headers, count, make_challenge, make_organisation, make_user

BODY = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}


def _submit(client, challenge, user, key, body=BODY):
    return client.post(f"/api/v1/challenges/{challenge.id}/submissions", json=body,
                       headers=auth_headers(user) | {"Idempotency-Key": key})


def test_participant_retries_submission_with_same_key_gets_first_receipt(client):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()))
    first = _submit(client, challenge, participant, "k-1")
    retry = _submit(client, challenge, participant, "k-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
    assert count(Submission) == 1


def test_participant_reuses_key_with_another_body_gets_422(client):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()))
    _submit(client, challenge, participant, "k-1")
    response = _submit(client, challenge, participant, "k-1", BODY | {"title": "Other"})
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]
    assert count(Submission) == 1


def test_two_users_use_the_same_key_independently(client):
    challenge = make_challenge(make_organisation(make_user()))
    assert _submit(client, challenge, make_user(), "same").status_code == 201
    assert _submit(client, challenge, make_user(), "same").status_code == 201
    assert count(Submission) == 2


def test_participant_retries_after_refusal_runs_again(client, time_machine):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()), phase="upcoming")
    assert _submit(client, challenge, participant, "k").status_code == 409
    time_machine.travel(days=2)
    assert _submit(client, challenge, participant, "k").status_code == 201


def test_key_expires_after_a_day(client, time_machine):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()), max_submissions_per_participant=5)
    _submit(client, challenge, participant, "k")
    time_machine.travel(hours=24)
    again = _submit(client, challenge, participant, "k")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count(Submission) == 2


def test_participant_sends_malformed_key_gets_422(client):
    challenge = make_challenge(make_organisation(make_user()))
    assert _submit(client, challenge, make_user(), "x" * 256).status_code == 422
    assert count(Submission) == 0
