"""The signed-in user's own lists: GET /me/submissions and GET /me/awards."""
import pytest

from challenges.extensions import db
from challenges.models import Moderation, Submission
from tests.factories import (
    auth_headers, make_award, make_challenge, make_organisation, make_submission, make_user,
)
from tests.test_awards import paid  # noqa: F401  (a fixture: a team's paid prize)


@pytest.fixture
def entries(app):
    """Alice's submissions in two challenges (one withdrawn), Bob's in one."""
    owner, alice, bob = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    first, second = make_challenge(organisation), make_challenge(organisation)
    ids = [make_submission(first, alice).id, make_submission(second, alice, status="withdrawn").id,
           make_submission(second, alice).id]
    make_submission(first, bob)
    return owner, alice, bob, first, second, ids


def _ids(response) -> list[int]:
    return [item["id"] for item in response.json["items"]]


@pytest.mark.parametrize("path", ["/api/v1/me/submissions", "/api/v1/me/awards"])
def test_anonymous_lists_own_items_unauthorised(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_participant_lists_own_submissions_in_every_challenge_newest_first(client, entries):
    _owner, alice, _bob, first, second, ids = entries
    response = client.get("/api/v1/me/submissions", headers=auth_headers(alice))
    assert response.status_code == 200
    assert _ids(response) == ids[::-1]
    assert response.json["next_cursor"] is None
    assert [item["challenge_id"] for item in response.json["items"]] == [second.id, second.id, first.id]
    assert [item["status"] for item in response.json["items"]] == ["submitted", "withdrawn", "submitted"]


def test_participant_filters_own_submissions_by_challenge_and_status(client, entries):
    _owner, alice, _bob, first, second, ids = entries
    by_challenge = client.get(f"/api/v1/me/submissions?challenge_id={second.id}", headers=auth_headers(alice))
    by_status = client.get("/api/v1/me/submissions?status=submitted", headers=auth_headers(alice))
    assert (by_challenge.status_code, by_status.status_code) == (200, 200)
    assert _ids(by_challenge) == [ids[2], ids[1]]
    assert _ids(by_status) == [ids[2], ids[0]]


def test_participant_pages_through_own_submissions_with_the_cursor(client, entries):
    _owner, alice, *_rest, ids = entries
    seen, cursor = [], ""
    for _ in range(4):
        response = client.get(f"/api/v1/me/submissions?limit=1{cursor}", headers=auth_headers(alice))
        assert response.status_code == 200
        seen += _ids(response)
        if response.json["next_cursor"] is None:
            break
        cursor = f"&cursor={response.json['next_cursor']}"
    assert seen == ids[::-1]


def test_organisation_owner_sees_none_of_the_entrants_submissions_in_own_list(client, entries):
    owner, *_rest = entries
    response = client.get("/api/v1/me/submissions", headers=auth_headers(owner))
    assert response.status_code == 200
    assert response.json == {"items": [], "next_cursor": None}


def test_author_lists_held_submission_but_not_hidden_one(app, client, entries):
    _owner, alice, _bob, _first, _second, ids = entries
    with app.app_context():
        db.session.get(Submission, ids[0]).moderation = Moderation.HELD
        db.session.get(Submission, ids[2]).moderation = Moderation.HIDDEN
        db.session.commit()
    response = client.get("/api/v1/me/submissions", headers=auth_headers(alice))
    assert response.status_code == 200
    assert _ids(response) == [ids[1], ids[0]]
    assert response.json["items"][1]["moderation"] == "held"


@pytest.mark.parametrize("query", ["status=lost", "challenge_id=0", "challenge_id=x", "limit=0", "limit=101"])
def test_participant_lists_own_submissions_with_bad_filter_unprocessable(client, entries, query):
    _owner, alice, *_rest = entries
    response = client.get(f"/api/v1/me/submissions?{query}", headers=auth_headers(alice))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"]


def test_participant_lists_own_submissions_with_forged_cursor_bad_request(client, entries):
    _owner, alice, *_rest = entries
    response = client.get("/api/v1/me/submissions?cursor=forged", headers=auth_headers(alice))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_teammates_both_list_the_team_submission_and_the_paid_prize(client, paid):  # noqa: F811
    for member in (paid.captain, paid.teammate):
        submissions = client.get("/api/v1/me/submissions", headers=auth_headers(member))
        awards = client.get("/api/v1/me/awards", headers=auth_headers(member))
        assert (submissions.status_code, awards.status_code) == (200, 200)
        assert _ids(submissions) == [paid.entry.id]
        [award] = awards.json["items"]
        assert award["id"] == paid.award.id
        assert (award["status"], award["payout_reference"], award["rank"]) == ("paid", "SEPA 2030-01", 1)
        assert award["challenge"]["id"] == paid.challenge.id
        assert (award["prize"]["id"], award["prize"]["reward"]) == (
            paid.challenge.prize_ids[0], {"amount": 500000, "currency": "EUR"})


def test_stranger_and_organisation_owner_list_no_awards_of_their_own(client, paid):  # noqa: F811
    for user in (make_user(), paid.owner):
        response = client.get("/api/v1/me/awards", headers=auth_headers(user))
        assert response.status_code == 200
        assert response.json == {"items": [], "next_cursor": None}


def test_winner_lists_no_award_before_the_results_are_final(client):
    owner, winner = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="closed")
    make_award(challenge, challenge.prize_ids[0], make_submission(challenge, winner), owner)
    response = client.get("/api/v1/me/awards", headers=auth_headers(winner))
    assert response.status_code == 200
    assert response.json["items"] == []


def test_winner_lists_a_cancelled_award_with_its_reason(client):
    owner, winner = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), phase="closed")
    award = make_award(challenge, challenge.prize_ids[0], make_submission(challenge, winner), owner)
    headers = auth_headers(owner)
    assert client.post(f"/api/v1/challenges/{challenge.id}/finalise", headers=headers).status_code == 200
    assert client.post(f"/api/v1/awards/{award.id}/cancel", headers=headers,
                       json={"reason": "Not eligible"}).status_code == 200
    response = client.get("/api/v1/me/awards", headers=auth_headers(winner))
    assert response.status_code == 200
    [item] = response.json["items"]
    assert (item["id"], item["status"], item["cancel_reason"]) == (award.id, "cancelled", "Not eligible")
