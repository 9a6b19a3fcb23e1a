"""Submitting, revising, withdrawing and disqualifying, judged by the server's clock."""
from datetime import UTC, datetime, timedelta

import pytest

from challenges.models import Revision, Submission
from tests.factories import (
    add_member, auth_headers, count, make_award, make_challenge, make_organisation, make_submission, make_user,
)

BODY = {"title": "Mine", "summary": "Short", "body": "Long", "links": ["https://example.org/x"], "accept_terms": True}


@pytest.fixture
def world(time_machine):
    owner, manager, participant = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    challenge = make_challenge(organisation, phase="open", max_submissions_per_participant=2)
    return owner, manager, participant, challenge


def _submit(client, challenge, user, **changes):
    return client.post(f"/api/v1/challenges/{challenge.id}/submissions", headers=auth_headers(user),
                       json=BODY | changes)


def test_participant_submits_and_gets_receipt(client, world):
    _, _, participant, challenge = world
    response = _submit(client, challenge, participant)
    assert response.status_code == 201
    body = response.json
    assert body["submitted_at"] == "2030-01-01T12:00:00+00:00"
    assert (body["status"], body["revision"], body["shortlisted"]) == ("submitted", 1, False)
    assert body["participant"] == {"id": participant.id, "display_name": participant.display_name}
    assert len(body["content_sha256"]) == 64


def test_participant_submits_without_accepting_terms_gets_422(client, world):
    _, _, participant, challenge = world
    response = _submit(client, challenge, participant, accept_terms=False)
    assert response.status_code == 422 and "accept_terms" in response.json["errors"]
    assert count(Submission) == 0


@pytest.mark.parametrize("seconds, status", [(-1, 201), (0, 409), (1, 409)])
def test_participant_submits_around_deadline(client, world, time_machine, seconds, status):
    _, _, participant, challenge = world
    time_machine.now = challenge.closes_at + timedelta(microseconds=seconds)
    response = _submit(client, challenge, participant)
    assert response.status_code == status
    if status == 201:
        assert datetime.fromisoformat(response.json["submitted_at"]) < challenge.closes_at


def test_participant_whose_request_arrived_after_the_deadline_learns_when(client, world, time_machine):
    _, _, participant, challenge = world
    time_machine.now = challenge.closes_at + timedelta(milliseconds=3)
    response = _submit(client, challenge, participant)
    assert response.status_code == 409
    assert response.json["detail"] == (f"The challenge closed at {challenge.closes_at.isoformat()}; "
                                       f"this request arrived at {time_machine.now.isoformat()}.")
    assert count(Submission) == 0


@pytest.mark.parametrize("phase", ["upcoming", "closed", "finalised", "cancelled"])
def test_participant_submits_outside_open_phase_gets_409(client, phase):
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase=phase)
    assert _submit(client, challenge, participant).status_code == 409
    assert count(Submission) == 0


def test_participant_over_limit_gets_409_and_withdrawal_frees_a_slot(client, world):
    _, _, participant, challenge = world
    first = _submit(client, challenge, participant).json
    assert _submit(client, challenge, participant).status_code == 201
    refused = _submit(client, challenge, participant)
    assert refused.status_code == 409 and "limit" in refused.json["detail"]
    withdrawn = client.post(f"/api/v1/submissions/{first['id']}/withdraw", headers=auth_headers(participant))
    assert withdrawn.json["status"] == "withdrawn"
    assert _submit(client, challenge, participant).status_code == 201
    assert client.get(f"/api/v1/challenges/{challenge.id}").json["submission_count"] == 2


def test_participant_revises_and_every_revision_is_kept(client, world, time_machine):
    _, _, participant, challenge = world
    receipt = _submit(client, challenge, participant).json
    time_machine.travel(minutes=5)
    revised = client.patch(f"/api/v1/submissions/{receipt['id']}", headers=auth_headers(participant),
                           json={"title": "Mine, better"})
    assert revised.status_code == 200
    assert (revised.json["revision"], revised.json["title"], revised.json["body"]) == (2, "Mine, better", "Long")
    assert revised.json["submitted_at"] == receipt["submitted_at"]
    assert revised.json["updated_at"] == "2030-01-01T12:05:00+00:00"
    assert revised.json["content_sha256"] != receipt["content_sha256"]
    assert count(Revision) == 2


def test_participant_edits_after_deadline_gets_409(client, world, time_machine):
    _, _, participant, challenge = world
    receipt = _submit(client, challenge, participant).json
    time_machine.now = challenge.closes_at
    headers = auth_headers(participant)
    assert client.patch(f"/api/v1/submissions/{receipt['id']}", headers=headers, json={"body": "x"}).status_code == 409
    assert client.post(f"/api/v1/submissions/{receipt['id']}/withdraw", headers=headers).status_code == 409
    assert client.get(f"/api/v1/submissions/{receipt['id']}", headers=headers).json["body"] == "Long"


def test_participant_withdraws_twice_gets_409(client, world):
    _, _, participant, challenge = world
    receipt = _submit(client, challenge, participant).json
    url = f"/api/v1/submissions/{receipt['id']}/withdraw"
    assert client.post(url, headers=auth_headers(participant)).status_code == 200
    assert client.post(url, headers=auth_headers(participant)).status_code == 409
    assert client.get(f"/api/v1/submissions/{receipt['id']}", headers=auth_headers(participant)).status_code == 200


def test_manager_disqualifies_with_reason_and_author_sees_it(client, world):
    _, manager, participant, challenge = world
    receipt = _submit(client, challenge, participant).json
    response = client.post(f"/api/v1/submissions/{receipt['id']}/disqualify", headers=auth_headers(manager),
                           json={"reason": "Plagiarism"})
    assert response.status_code == 200
    seen = client.get(f"/api/v1/submissions/{receipt['id']}", headers=auth_headers(participant)).json
    assert (seen["status"], seen["disqualification_reason"]) == ("disqualified", "Plagiarism")


def test_manager_disqualifies_awarded_submission_gets_409(client):
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="closed")
    submission = make_submission(challenge, participant)
    make_award(challenge, challenge.prize_ids[0], submission, owner)
    response = client.post(f"/api/v1/submissions/{submission.id}/disqualify", headers=auth_headers(owner),
                           json={"reason": "Too late"})
    assert response.status_code == 409


def test_manager_disqualifies_after_finalisation_gets_409(client):
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="finalised")
    submission = make_submission(challenge, participant)
    response = client.post(f"/api/v1/submissions/{submission.id}/disqualify", headers=auth_headers(owner),
                           json={"reason": "Late"})
    assert response.status_code == 409


def test_participant_lists_only_own_submissions_and_member_lists_all(client, world):
    _, manager, participant, challenge = world
    other = make_user()
    mine = _submit(client, challenge, participant).json
    _submit(client, challenge, other)
    own = client.get(f"/api/v1/challenges/{challenge.id}/submissions", headers=auth_headers(participant)).json
    assert [s["id"] for s in own["items"]] == [mine["id"]]
    everything = client.get(f"/api/v1/challenges/{challenge.id}/submissions", headers=auth_headers(manager)).json
    assert len(everything["items"]) == 2


def test_participant_reads_others_submission_gets_404(client, world):
    _, _, participant, challenge = world
    receipt = _submit(client, challenge, make_user()).json
    assert client.get(f"/api/v1/submissions/{receipt['id']}", headers=auth_headers(participant)).status_code == 404


def test_participant_resubmits_after_rules_amendment_accepts_new_terms(client, world):
    owner, _, participant, challenge = world
    _submit(client, challenge, participant)
    client.patch(f"/api/v1/challenges/{challenge.id}", headers=auth_headers(owner), json={"rules": "New rules"})
    assert _submit(client, challenge, participant).status_code == 201
    assert client.get(f"/api/v1/challenges/{challenge.id}").json["terms_version"] == 2


def test_timestamps_are_utc_whatever_the_input_offset(client, time_machine):
    owner = make_user()
    organisation = make_organisation(owner)
    response = client.post("/api/v1/challenges", headers=auth_headers(owner), json={
        "organisation_id": organisation.id, "title": "T", "closes_at": "2030-02-01T14:00:00+02:00"})
    assert response.json["closes_at"] == "2030-02-01T12:00:00+00:00"
    assert datetime.fromisoformat(response.json["closes_at"]) == datetime(2030, 2, 1, 12, tzinfo=UTC)


def test_participant_sends_unchanged_content_and_gets_no_new_revision(client, world):
    _, _, participant, challenge = world
    receipt = _submit(client, challenge, participant).json
    same = client.patch(f"/api/v1/submissions/{receipt['id']}", headers=auth_headers(participant),
                        json={"title": BODY["title"]})
    assert same.status_code == 200 and same.json["revision"] == 1
    assert count(Revision) == 1

