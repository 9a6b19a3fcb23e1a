"""Registering for a challenge before submitting: the form, approval, unregistering, and who is told."""
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from challenges.extensions import db
from challenges.models import Participation, RegistrationMode, Submission
from tests.factories import (
    add_member, auth_headers, count, make_challenge, make_organisation, make_registration, make_submission, make_user,
)
from tests.test_concurrency import _call, _statuses
from tests.test_notifications import smtp  # noqa: F401  (a fixture)
from tests.threads import race

API = "/api/v1"
ENTRY = {"title": "Mine", "summary": "Short", "body": "Long", "accept_terms": True}
FORM = [
    {"id": "team_name", "label": "Team name", "type": "text", "required": True},
    {"id": "track", "label": "Track", "type": "choice", "choices": ["vision", "language"], "required": True},
    {"id": "student", "label": "Student?", "type": "boolean"},
    {"id": "country", "label": "Country", "type": "country"},
]
ANSWERS = {"team_name": "Owls", "track": "vision", "student": True, "country": "FR"}


@pytest.fixture
def world(time_machine):
    """An organisation with an owner, a manager and a judge; a participant; nothing built yet."""
    owner, manager, judge, participant = make_user(), make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    return type("World", (), {"owner": owner, "manager": manager, "judge": judge, "participant": participant,
                              "organisation": organisation})


def _url(challenge, rest: str = "registration") -> str:
    return f"{API}/challenges/{challenge.id}/{rest}"


def _register(client, challenge, user, **body):
    return client.post(_url(challenge), headers=auth_headers(user), json={"accept_terms": True} | body)


def _submit(client, challenge, user):
    return client.post(_url(challenge, "submissions"), headers=auth_headers(user), json=ENTRY)


def _decide(client, challenge, by, user, verdict: str, **body):
    """Approve or refuse, closing the response so the after-response relay sends the email."""
    with client.post(_url(challenge, f"registrations/{user.id}/{verdict}"), headers=auth_headers(by),
                     json=body or None) as response:
        return response


def _kinds(client, user) -> list[str]:
    return [n["kind"] for n in client.get(f"{API}/notifications", headers=auth_headers(user)).json["items"]]


# Registering

@pytest.mark.parametrize("phase", ["upcoming", "open"])
def test_participant_registers_before_submitting_gets_201(client, world, phase):
    challenge = make_challenge(world.organisation, phase)
    response = _register(client, challenge, world.participant)
    assert response.status_code == 201
    body = response.json
    assert (body["challenge_id"], body["status"], body["terms_version"], body["answers"]) == (
        challenge.id, "approved", 1, {})
    assert body["user"] == {"id": world.participant.id, "display_name": world.participant.display_name}
    assert (body["decided_at"], body["refusal_reason"]) == (None, None)
    mine = client.get(_url(challenge), headers=auth_headers(world.participant))
    assert mine.status_code == 200 and mine.json == body
    assert count(Submission) == 0


@pytest.mark.parametrize("phase, status", [("draft", 404), ("closed", 409), ("finalised", 409), ("cancelled", 409)])
def test_participant_registers_outside_upcoming_or_open_is_refused(client, world, phase, status):
    challenge = make_challenge(world.organisation, phase)
    response = _register(client, challenge, world.participant)
    assert response.status_code == status
    assert response.content_type == "application/problem+json" and response.json["status"] == status
    assert count(Participation) == 0


def test_member_registers_gets_403_and_anonymous_gets_401(client, world):
    challenge = make_challenge(world.organisation)
    member = _register(client, challenge, world.judge)
    assert member.status_code == 403 and "Members" in member.json["detail"]
    anonymous = client.post(_url(challenge), json={"accept_terms": True})
    assert anonymous.status_code == 401 and anonymous.json["status"] == 401


@pytest.mark.parametrize("body, field", [
    ({"accept_terms": False}, "accept_terms"), ({"accept_terms": "yes"}, "accept_terms"), ({}, "accept_terms"),
    ({"accept_terms": True, "extra": 1}, "extra"), ({"accept_terms": True, "answers": []}, "answers"),
    ({"accept_terms": True, "answers": {"team_name": 5}}, "answers"),
    ({"accept_terms": True, "answers": {"team_name": "x" * 2001}}, "answers"),
])
def test_participant_registers_with_a_bad_body_gets_422(client, world, body, field):
    challenge = make_challenge(world.organisation)
    response = client.post(_url(challenge), headers=auth_headers(world.participant), json=body)
    assert response.status_code == 422 and field in response.json["errors"]
    assert count(Participation) == 0


def test_participant_registers_twice_gets_409(client, world):
    challenge = make_challenge(world.organisation)
    assert _register(client, challenge, world.participant).status_code == 201
    again = _register(client, challenge, world.participant)
    assert again.status_code == 409 and "already registered" in again.json["detail"]


def test_participant_without_registration_reads_it_gets_404(client, world):
    challenge = make_challenge(world.organisation)
    response = client.get(_url(challenge), headers=auth_headers(world.participant))
    assert response.status_code == 404 and response.json["status"] == 404


def test_participant_registers_after_the_registration_deadline_gets_409(client, world, time_machine):
    challenge = make_challenge(world.organisation, registration_closes_at=time_machine.now + timedelta(hours=1))
    early = make_user()
    assert _register(client, challenge, early).status_code == 201
    time_machine.travel(hours=1)
    late = _register(client, challenge, world.participant)
    assert late.status_code == 409 and "no new registrations" in late.json["detail"]
    # Submitting would register too: refused to newcomers, open to those registered in time.
    assert _submit(client, challenge, world.participant).status_code == 409
    assert _submit(client, challenge, early).status_code == 201


def test_submitting_to_an_open_challenge_still_registers(client, world):
    challenge = make_challenge(world.organisation)
    assert _submit(client, challenge, world.participant).status_code == 201
    mine = client.get(_url(challenge), headers=auth_headers(world.participant))
    assert mine.status_code == 200 and mine.json["status"] == "approved"


def test_closed_registration_lets_registrants_submit_and_refuses_newcomers(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.CLOSED)
    registrant = make_user()
    make_registration(challenge, registrant)  # registered before registration closed
    refused = _register(client, challenge, world.participant)
    assert refused.status_code == 409 and "no new registrations" in refused.json["detail"]
    assert _submit(client, challenge, world.participant).status_code == 409
    assert _submit(client, challenge, registrant).status_code == 201


# The form

def test_participant_answers_the_form_and_the_organisation_sees_the_answers(client, world):
    challenge = make_challenge(world.organisation, registration_form=FORM)
    assert _register(client, challenge, world.participant, answers=ANSWERS).status_code == 201
    listed = client.get(_url(challenge, "registrations"), headers=auth_headers(world.manager))
    assert listed.status_code == 200
    [item] = listed.json["items"]
    assert (item["user"]["id"], item["answers"]) == (world.participant.id, ANSWERS)


@pytest.mark.parametrize("answers, question", [
    ({"track": "vision"}, "team_name"),
    ({"team_name": "", "track": "vision"}, "team_name"),
    ({"team_name": "Owls", "track": "audio"}, "track"),
    ({"team_name": "Owls", "track": True}, "track"),
    ({"team_name": "Owls", "track": "vision", "student": "yes"}, "student"),
    ({"team_name": "Owls", "track": "vision", "country": "XX"}, "country"),
    ({"team_name": "Owls", "track": "vision", "country": "fr"}, "country"),
    ({"team_name": "Owls", "track": "vision", "country": "FRA"}, "country"),
    ({"team_name": "Owls", "track": "vision", "age": "30"}, "age"),
])
def test_participant_registers_with_a_bad_answer_gets_422_naming_the_question(client, world, answers, question):
    challenge = make_challenge(world.organisation, registration_form=FORM)
    response = _register(client, challenge, world.participant, answers=answers)
    assert response.status_code == 422
    assert list(response.json["errors"]["answers"]) == [question]
    assert count(Participation) == 0


@pytest.mark.parametrize("form", [
    [{"id": "track", "label": "Track", "type": "choice"}],
    [{"id": "track", "label": "Track", "type": "text", "choices": ["a"]}],
    [{"id": "track", "label": "Track", "type": "choice", "choices": ["a", "a"]}],
    [{"id": "a", "label": "A", "type": "text"}, {"id": "a", "label": "B", "type": "text"}],
    [{"id": "Bad id", "label": "A", "type": "text"}],
    [{"id": "a", "label": "A", "type": "date"}],
    [{"id": "a", "label": "", "type": "text"}],
    [{"id": f"q{n}", "label": "Q", "type": "text"} for n in range(21)],
])
def test_manager_sets_a_bad_form_gets_422(client, world, form):
    challenge = make_challenge(world.organisation, phase="draft")
    response = client.patch(f"{API}/challenges/{challenge.id}", headers=auth_headers(world.manager),
                            json={"registration_form": form})
    assert response.status_code == 422 and "registration_form" in response.json["errors"]


def test_manager_changes_the_form_until_someone_registers(client, world):
    challenge = make_challenge(world.organisation)
    url, headers = f"{API}/challenges/{challenge.id}", auth_headers(world.manager)
    changed = client.patch(url, headers=headers, json={"registration_form": FORM})
    assert changed.status_code == 200
    assert changed.json["registration_form"] == [{"required": False} | question for question in FORM]
    assert _register(client, challenge, world.participant, answers=ANSWERS).status_code == 201
    frozen = client.patch(url, headers=headers, json={"registration_form": FORM[:1]})
    assert frozen.status_code == 409 and "form" in frozen.json["detail"]


def test_manager_opens_and_closes_registration_but_never_switches_approval_once_published(client, world):
    challenge = make_challenge(world.organisation)
    url, headers = f"{API}/challenges/{challenge.id}", auth_headers(world.manager)
    closed = client.patch(url, headers=headers, json={"registration": "closed"})
    assert closed.status_code == 200 and closed.json["registration"] == "closed"
    approval = client.patch(url, headers=headers, json={"registration": "approval"})
    assert approval.status_code == 409 and "Approval" in approval.json["detail"]
    deadline = (challenge.closes_at - timedelta(days=1)).isoformat()
    moved = client.patch(url, headers=headers, json={"registration": "open", "registration_closes_at": deadline})
    assert moved.status_code == 200
    assert (moved.json["registration"], moved.json["registration_closes_at"]) == ("open", deadline)


# Approval

def test_approval_flow_pending_then_approved_registrant_may_submit_and_is_told(client, world, smtp):  # noqa: F811
    smtp.start()
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    pending = _register(client, challenge, world.participant)
    assert pending.status_code == 201 and pending.json["status"] == "pending"
    early = _submit(client, challenge, world.participant)
    assert early.status_code == 409 and "pending" in early.json["detail"]
    approved = _decide(client, challenge, world.owner, world.participant, "approve")
    assert approved.status_code == 200
    assert approved.json["status"] == "approved" and approved.json["decided_at"] is not None
    assert _submit(client, challenge, world.participant).status_code == 201
    assert "registration.approved" in _kinds(client, world.participant)
    subjects = [message["Subject"] for recipients, message in smtp.inbox.messages()
                if recipients == [world.participant.email]]
    assert any(subject.startswith("Your registration was approved") for subject in subjects)


def test_approval_refused_registrant_cannot_submit_nor_register_again_and_is_told_why(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    _register(client, challenge, world.participant)
    refused = _decide(client, challenge, world.manager, world.participant, "refuse", reason="Not eligible")
    assert refused.status_code == 200
    assert (refused.json["status"], refused.json["refusal_reason"]) == ("refused", "Not eligible")
    submitted = _submit(client, challenge, world.participant)
    assert submitted.status_code == 409 and "refused" in submitted.json["detail"]
    assert _register(client, challenge, world.participant).status_code == 409
    [notification] = client.get(f"{API}/notifications", headers=auth_headers(world.participant)).json["items"]
    assert (notification["kind"], notification["data"]["reason"]) == ("registration.refused", "Not eligible")
    again = _decide(client, challenge, world.owner, world.participant, "approve")
    assert again.status_code == 409 and "pending" in again.json["detail"]


def test_approval_challenge_refuses_submissions_without_registration(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    response = _submit(client, challenge, world.participant)
    assert response.status_code == 409 and "Register" in response.json["detail"]
    assert count(Participation) == 0


@pytest.mark.parametrize("actor, status", [("judge", 403), ("participant", 403), ("owner", 200), ("manager", 200)])
def test_who_may_approve(client, world, actor, status):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    registrant = make_user()
    _register(client, challenge, registrant)
    response = _decide(client, challenge, getattr(world, actor), registrant, "approve")
    assert response.status_code == status and response.json["status"] in (status, "approved")


def test_owner_approves_someone_not_registered_gets_404_and_a_body_gets_422(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    missing = _decide(client, challenge, world.owner, world.participant, "approve")
    assert missing.status_code == 404 and missing.json["status"] == 404
    _register(client, challenge, world.participant)
    body = _decide(client, challenge, world.owner, world.participant, "approve", note="hi")
    assert body.status_code == 422 and "note" in body.json["errors"]
    long = _decide(client, challenge, world.owner, world.participant, "refuse", reason="x" * 2001)
    assert long.status_code == 422 and "reason" in long.json["errors"]


def test_manager_lists_registrations_by_status_page_by_page(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    users = [make_user() for _ in range(3)]
    for user in users:
        _register(client, challenge, user)
    _decide(client, challenge, world.owner, users[1], "approve")
    headers = auth_headers(world.manager)
    first = client.get(_url(challenge, "registrations") + "?status=pending&limit=1", headers=headers)
    assert first.status_code == 200 and [i["user"]["id"] for i in first.json["items"]] == [users[0].id]
    second = client.get(_url(challenge, "registrations"), headers=headers,
                        query_string={"status": "pending", "limit": 1, "cursor": first.json["next_cursor"]})
    assert [i["user"]["id"] for i in second.json["items"]] == [users[2].id] and second.json["next_cursor"] is None
    approved = client.get(_url(challenge, "registrations") + "?status=approved", headers=headers)
    assert [i["user"]["id"] for i in approved.json["items"]] == [users[1].id]
    bad = client.get(_url(challenge, "registrations") + "?status=maybe", headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["errors"]


@pytest.mark.parametrize("actor, status", [("judge", 403), ("participant", 403), ("anonymous", 401)])
def test_non_managers_list_registrations_are_refused(client, world, actor, status):
    challenge = make_challenge(world.organisation)
    headers = {} if actor == "anonymous" else auth_headers(getattr(world, actor))
    response = client.get(_url(challenge, "registrations"), headers=headers)
    assert response.status_code == status and response.json["status"] == status


def test_challenge_counts_registrations_however_they_are_made(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    users = [make_user() for _ in range(3)]
    for user in users:
        _register(client, challenge, user)
    _decide(client, challenge, world.owner, users[0], "approve")
    _decide(client, challenge, world.owner, users[1], "refuse")

    def counts(**headers):
        detail = client.get(f"{API}/challenges/{challenge.id}", headers=headers).json
        [item] = [c for c in client.get(f"{API}/challenges", headers=headers).json["items"] if c["id"] == challenge.id]
        assert (item["registration_count"], item["pending_registration_count"]) == (
            detail["registration_count"], detail["pending_registration_count"])
        return detail["registration_count"], detail["pending_registration_count"]

    assert counts() == counts(**auth_headers(world.judge)) == (1, 1)
    open_challenge = make_challenge(world.organisation)
    assert _submit(client, open_challenge, world.participant).status_code == 201  # registers by submitting
    assert _submit(client, open_challenge, world.participant).status_code == 201  # already counted
    _register(client, open_challenge, users[0])
    detail = client.get(f"{API}/challenges/{open_challenge.id}").json
    assert (detail["registration_count"], detail["pending_registration_count"]) == (2, 0)
    assert client.delete(_url(open_challenge), headers=auth_headers(users[0])).status_code == 204
    assert client.get(f"{API}/challenges/{open_challenge.id}").json["registration_count"] == 1  # not a stale copy


# Unregistering

def test_registrant_unregisters_without_submissions_gets_204(client, world):
    challenge = make_challenge(world.organisation)
    _register(client, challenge, world.participant)
    response = client.delete(_url(challenge), headers=auth_headers(world.participant))
    assert response.status_code == 204 and response.data == b""
    assert client.get(_url(challenge), headers=auth_headers(world.participant)).status_code == 404
    assert count(Participation) == 0


def test_registrant_with_an_active_submission_unregisters_gets_409(client, world):
    challenge = make_challenge(world.organisation)
    make_submission(challenge, world.participant)
    response = client.delete(_url(challenge), headers=auth_headers(world.participant))
    assert response.status_code == 409 and "Withdraw" in response.json["detail"]
    assert count(Participation) == 1


def test_registrant_whose_submissions_are_withdrawn_unregisters_gets_204(client, world):
    challenge = make_challenge(world.organisation)
    make_submission(challenge, world.participant, status="withdrawn")
    assert client.delete(_url(challenge), headers=auth_headers(world.participant)).status_code == 204


def test_unregistering_without_a_registration_gets_404(client, world):
    challenge = make_challenge(world.organisation)
    response = client.delete(_url(challenge), headers=auth_headers(world.participant))
    assert response.status_code == 404 and response.json["status"] == 404
    assert client.delete(_url(challenge)).status_code == 401


# Who is told

def test_announcements_reach_registrants_but_not_refused_ones(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
    waiting, refused = make_user(), make_user()
    for user in (world.participant, waiting, refused):
        _register(client, challenge, user)
    _decide(client, challenge, world.owner, world.participant, "approve")
    _decide(client, challenge, world.owner, refused, "refuse")
    posted = client.post(_url(challenge, "announcements"), headers=auth_headers(world.owner),
                         json={"title": "Dataset", "body": "Now online"})
    assert posted.status_code == 201
    assert _kinds(client, world.participant) == ["announcement.posted", "registration.approved"]
    assert _kinds(client, waiting) == ["announcement.posted"]
    assert _kinds(client, refused) == ["registration.refused"]


def test_pending_registrant_forms_a_team_gets_409_and_an_approved_one_may(client, world):
    challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL, max_team_size=3)
    url = _url(challenge, "teams")
    stranger = client.post(url, headers=auth_headers(make_user()), json={"name": "Strangers"})
    assert stranger.status_code == 409 and "Register" in stranger.json["detail"]
    _register(client, challenge, world.participant)
    pending = client.post(url, headers=auth_headers(world.participant), json={"name": "Owls"})
    assert pending.status_code == 409 and "pending" in pending.json["detail"]
    _decide(client, challenge, world.owner, world.participant, "approve")
    formed = client.post(url, headers=auth_headers(world.participant), json={"name": "Owls"})
    assert formed.status_code == 201 and formed.json["name"] == "Owls"


# Concurrency (PostgreSQL, real threads)

@pytest.mark.postgres
def test_registering_ten_times_at_once_registers_once(app, api, world):
    challenge = make_challenge(world.organisation)
    url = f"{api}/challenges/{challenge.id}/registration"
    responses = race(*(_call("POST", url, world.participant, {"accept_terms": True}) for _ in range(10)))
    assert _statuses(responses) == [201] + [409] * 9
    assert count(Participation) == 1


@pytest.mark.postgres
def test_unregistering_racing_a_submission_leaves_no_submission_without_registration(app, api, world):
    for _ in range(5):
        challenge = make_challenge(world.organisation)
        participant = make_user()
        requests.post(f"{api}/challenges/{challenge.id}/registration", json={"accept_terms": True},
                      headers=auth_headers(participant), timeout=30).raise_for_status()
        base = f"{api}/challenges/{challenge.id}"
        left, submitted = race(_call("DELETE", f"{base}/registration", participant, None),
                               _call("POST", f"{base}/submissions", participant, ENTRY))
        assert left.status_code in (204, 409) and submitted.status_code == 201
        with app.app_context():
            registered = db.session.scalar(select(Participation.id).where(
                Participation.challenge_id == challenge.id, Participation.user_id == participant.id))
        assert registered is not None  # a submission always has its registration (re-made if it came second)


@pytest.mark.postgres
@pytest.mark.parametrize("verdict", ["approve", "refuse"])
def test_a_decision_racing_a_submission_never_lets_a_pending_registrant_in(app, api, world, verdict):
    for _ in range(5):
        challenge = make_challenge(world.organisation, registration=RegistrationMode.APPROVAL)
        participant = make_user()
        base = f"{api}/challenges/{challenge.id}"
        requests.post(f"{base}/registration", json={"accept_terms": True}, headers=auth_headers(participant),
                      timeout=30).raise_for_status()
        decided, submitted = race(_call("POST", f"{base}/registrations/{participant.id}/{verdict}", world.owner, None),
                                  _call("POST", f"{base}/submissions", participant, ENTRY))
        assert decided.status_code == 200
        # A submission gets in only after an approval: one that read the registration pending waits for no one.
        assert submitted.status_code in ((201, 409) if verdict == "approve" else (409,))
        with app.app_context():
            stored = db.session.scalars(select(Submission.id).where(Submission.challenge_id == challenge.id)).all()
        assert len(stored) == (submitted.status_code == 201)

