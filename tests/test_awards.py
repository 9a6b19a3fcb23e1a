"""Awarding prizes, revoking them, finalising and tracking payouts."""
from types import SimpleNamespace

import pytest

from challenges import clock
from challenges.extensions import db
from challenges.models import Award, Submission, Team, TeamMember
from tests.factories import (
    add_member, auth_headers, count, make_award, make_challenge, make_organisation, make_submission, make_user,
)


@pytest.fixture
def closed():
    owner, manager, alice, bob = make_user(), make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    challenge = make_challenge(organisation, phase="closed")
    entries = [make_submission(challenge, alice), make_submission(challenge, bob)]
    return manager, challenge, entries


def _award(client, actor, challenge, prize_id, submission_id):
    return client.post(f"/api/v1/challenges/{challenge.id}/awards", headers=auth_headers(actor),
                       json={"prize_id": prize_id, "submission_id": submission_id})


def test_manager_awards_prize_after_deadline(client, closed):
    manager, challenge, (alice_entry, _) = closed
    response = _award(client, manager, challenge, challenge.prize_ids[0], alice_entry.id)
    assert response.status_code == 201
    assert response.json | {"id": None, "awarded_at": None} == {
        "id": None, "challenge_id": challenge.id, "prize_id": challenge.prize_ids[0], "submission_id": alice_entry.id,
        "status": "awarded", "awarded_by": manager.id, "awarded_at": None, "payout_reference": None,
        "paid_at": None, "cancel_reason": None, "rank": None, "score": None, "team_split": None}


def test_manager_awards_taken_prize_or_second_prize_to_one_submission_gets_409(client, closed):
    manager, challenge, (alice_entry, bob_entry) = closed
    assert _award(client, manager, challenge, challenge.prize_ids[0], alice_entry.id).status_code == 201
    assert _award(client, manager, challenge, challenge.prize_ids[0], bob_entry.id).status_code == 409
    assert _award(client, manager, challenge, challenge.prize_ids[1], alice_entry.id).status_code == 409
    assert count(Award) == 1


@pytest.mark.parametrize("status", ["withdrawn", "disqualified"])
def test_manager_awards_withdrawn_or_disqualified_submission_gets_409(client, closed, status):
    manager, challenge, _ = closed
    entry = make_submission(challenge, make_user(), status=status)
    assert _award(client, manager, challenge, challenge.prize_ids[0], entry.id).status_code == 409


@pytest.mark.parametrize("phase", ["open", "finalised"])
def test_manager_awards_outside_closed_phase_gets_409(client, phase):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), phase=phase)
    entry = make_submission(challenge, make_user())
    assert _award(client, owner, challenge, challenge.prize_ids[0], entry.id).status_code == 409


def test_manager_awards_prize_or_submission_of_another_challenge_gets_422(client, closed):
    manager, challenge, (alice_entry, _) = closed
    owner = make_user()
    other = make_challenge(make_organisation(owner), phase="closed")
    foreign_entry = make_submission(other, make_user())
    prize_response = _award(client, manager, challenge, other.prize_ids[0], alice_entry.id)
    assert prize_response.status_code == 422 and "prize_id" in prize_response.json["errors"]
    entry_response = _award(client, manager, challenge, challenge.prize_ids[0], foreign_entry.id)
    assert entry_response.status_code == 422 and "submission_id" in entry_response.json["errors"]
    assert count(Award) == 0


def test_manager_revokes_award_and_both_are_free_again(client, closed):
    manager, challenge, (alice_entry, bob_entry) = closed
    award = _award(client, manager, challenge, challenge.prize_ids[0], alice_entry.id).json
    assert client.delete(f"/api/v1/challenges/{challenge.id}/awards/{award['id']}",
                         headers=auth_headers(manager)).status_code == 204
    assert _award(client, manager, challenge, challenge.prize_ids[0], bob_entry.id).status_code == 201
    assert _award(client, manager, challenge, challenge.prize_ids[1], alice_entry.id).status_code == 201


def test_manager_finalises_with_a_prize_left_unawarded(client, closed):
    manager, challenge, (alice_entry, _) = closed
    _award(client, manager, challenge, challenge.prize_ids[0], alice_entry.id)
    assert client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=auth_headers(manager)).status_code == 200
    results = client.get(f"/api/v1/challenges/{challenge.id}/results").json["items"]
    assert [r["submission"]["id"] for r in results] == [alice_entry.id]
    awards = client.get(f"/api/v1/challenges/{challenge.id}/awards").json["items"]
    assert len(awards) == 1


def test_manager_revokes_or_awards_after_finalisation_gets_409(client, closed):
    manager, challenge, (alice_entry, bob_entry) = closed
    award = make_award(challenge, challenge.prize_ids[0], alice_entry, manager)
    client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=auth_headers(manager))
    assert client.delete(f"/api/v1/challenges/{challenge.id}/awards/{award.id}",
                         headers=auth_headers(manager)).status_code == 409
    assert _award(client, manager, challenge, challenge.prize_ids[1], bob_entry.id).status_code == 409


def test_manager_pays_award_once_and_cannot_cancel_it_after(client, closed):
    manager, challenge, (alice_entry, _) = closed
    award = make_award(challenge, challenge.prize_ids[0], alice_entry, manager)
    payout = f"/api/v1/awards/{award.id}/payout"
    assert client.post(payout, headers=auth_headers(manager), json={"reference": "X"}).status_code == 409
    client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=auth_headers(manager))
    paid = client.post(payout, headers=auth_headers(manager), json={"reference": "SEPA 2030-01"})
    assert (paid.status_code, paid.json["status"], paid.json["payout_reference"]) == (200, "paid", "SEPA 2030-01")
    assert client.post(payout, headers=auth_headers(manager), json={"reference": "again"}).status_code == 409
    assert client.post(f"/api/v1/awards/{award.id}/cancel", headers=auth_headers(manager),
                       json={"reason": "late"}).status_code == 409


def test_manager_cancels_unpaid_award_and_it_leaves_results(client, closed):
    manager, challenge, (alice_entry, _) = closed
    award = make_award(challenge, challenge.prize_ids[0], alice_entry, manager)
    client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=auth_headers(manager))
    cancelled = client.post(f"/api/v1/awards/{award.id}/cancel", headers=auth_headers(manager),
                            json={"reason": "Failed identity verification"})
    assert (cancelled.json["status"], cancelled.json["cancel_reason"]) == ("cancelled",
                                                                          "Failed identity verification")
    assert client.post(f"/api/v1/awards/{award.id}/payout", headers=auth_headers(manager),
                       json={"reference": "X"}).status_code == 409
    assert client.get(f"/api/v1/challenges/{challenge.id}/results").json["items"] == []


def test_anonymous_reads_winner_only_when_challenge_publishes_winners(client):
    owner, alice = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="finalised", publish_winning_submissions=False)
    entry = make_submission(challenge, alice)
    make_award(challenge, challenge.prize_ids[0], entry, owner)
    assert client.get(f"/api/v1/submissions/{entry.id}", headers=auth_headers(make_user())).status_code == 404
    result = client.get(f"/api/v1/challenges/{challenge.id}/results").json["items"][0]
    assert result["submission"] is None
    assert result["participant"] == {"id": alice.id, "display_name": alice.display_name}


def test_anonymous_lists_awards_without_cancelled_ones(client, closed):
    manager, challenge, (alice_entry, bob_entry) = closed
    kept = make_award(challenge, challenge.prize_ids[0], alice_entry, manager)
    dropped = make_award(challenge, challenge.prize_ids[1], bob_entry, manager)
    client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=auth_headers(manager))
    client.post(f"/api/v1/awards/{dropped.id}/cancel", headers=auth_headers(manager), json={"reason": "Private"})
    public = client.get(f"/api/v1/challenges/{challenge.id}/awards").json["items"]
    assert [a["id"] for a in public] == [kept.id]
    members = client.get(f"/api/v1/challenges/{challenge.id}/awards", headers=auth_headers(manager)).json["items"]
    assert {a["id"] for a in members} == {kept.id, dropped.id}


PAYOUT = {"status": None, "awarded_by": None, "awarded_at": None, "payout_reference": None, "paid_at": None,
          "cancel_reason": None, "team_split": None}


@pytest.fixture
def paid(app, client, time_machine):
    """A finalised challenge whose first prize went to a team's submission (rank 1, score 0.9, shared equally)
    and was paid."""
    owner, captain, teammate = make_user(), make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="closed")
    entry = make_submission(challenge, captain)
    with app.app_context():
        team = Team(challenge_id=challenge.id, name="Crew", captain_id=captain.id, created_at=clock.now())
        team.members = [TeamMember(user_id=user.id, challenge_id=challenge.id, joined_at=clock.now())
                        for user in (captain, teammate)]
        db.session.add(team)
        db.session.flush()
        db.session.get(Submission, entry.id).team_id = team.id
        db.session.commit()
    award = make_award(challenge, challenge.prize_ids[0], entry, owner)
    with app.app_context():
        row = db.session.get(Award, award.id)
        row.rank, row.score = 1, 0.9
        row.team_split = [{"user_id": user.id, "weight": 1, "share": 0.5} for user in (captain, teammate)]
        db.session.commit()
    assert client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=auth_headers(owner)).status_code == 200
    assert client.post(f"/api/v1/awards/{award.id}/payout", headers=auth_headers(owner),
                       json={"reference": "SEPA 2030-01"}).status_code == 200
    return SimpleNamespace(owner=owner, captain=captain, teammate=teammate, challenge=challenge, entry=entry,
                           award=award)


def test_anonymous_and_strangers_list_awards_without_payout_details(client, paid):
    public = {"id": paid.award.id, "challenge_id": paid.challenge.id, "prize_id": paid.challenge.prize_ids[0],
              "submission_id": paid.entry.id, "rank": 1, "score": 0.9} | PAYOUT
    for headers in ({}, auth_headers(make_user())):
        response = client.get(f"/api/v1/challenges/{paid.challenge.id}/awards", headers=headers)
        assert (response.status_code, response.json) == (200, {"items": [public], "next_cursor": None})


@pytest.mark.parametrize("reader", ["owner", "captain", "teammate"])
def test_members_and_winners_list_awards_with_payout_details(client, paid, reader):
    response = client.get(f"/api/v1/challenges/{paid.challenge.id}/awards", headers=auth_headers(getattr(paid, reader)))
    assert response.status_code == 200
    [award] = response.json["items"]
    assert (award["status"], award["payout_reference"], award["awarded_by"]) == ("paid", "SEPA 2030-01", paid.owner.id)
    assert award["paid_at"] and award["awarded_at"]
    assert [share["user_id"] for share in award["team_split"]] == [paid.captain.id, paid.teammate.id]


def test_anonymous_reads_results_with_prize_rank_score_and_winner_only(client, paid):
    response = client.get(f"/api/v1/challenges/{paid.challenge.id}/results")
    assert response.status_code == 200
    [result] = response.json["items"]
    assert set(result) == {"prize", "rank", "score", "submission", "participant"}
    assert (result["prize"]["id"], result["rank"], result["score"]) == (paid.challenge.prize_ids[0], 1, 0.9)
    assert result["participant"] == {"id": paid.captain.id, "display_name": paid.captain.display_name}
    assert "SEPA" not in response.get_data(as_text=True)
