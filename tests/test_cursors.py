"""Forged cursors: a value out of its column's range is a 400, on every kind of key, before it reaches the database
(PostgreSQL refuses what SQLite takes, so these matter most on PostgreSQL)."""
import base64
import json
from types import SimpleNamespace

import pytest

from challenges.models import Evaluation
from tests.factories import auth_headers, make_challenge, make_organisation, make_submission, make_user

API = "/api/v1"
INT_MAX, BIGINT_MAX = 2 ** 31 - 1, 2 ** 63 - 1
SCORING = {"metric": "mae", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2}


def cursor(keys: list[str], values: list) -> str:
    """A cursor as the service makes them: URL-safe base64 of {"k": key names, "v": values}, unpadded."""
    payload = json.dumps({"k": keys, "v": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


@pytest.fixture
def world():
    """A judged challenge with a submission, a scored one, and their owner (who can read every list below)."""
    owner = make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation)
    make_submission(challenge, make_user())
    board = make_challenge(organisation, evaluation=Evaluation.SCORED, judging=None, scoring=SCORING)
    return SimpleNamespace(owner=owner, organisation=organisation, challenge=challenge, board=board)


# name -> (path under API, query, key names, the values of a cursor around an id)
LISTS = {
    "challenges": ("/challenges", {}, ["created_at", "id"], lambda id_: ["2030-01-01T00:00:00+00:00", id_]),
    "by-prize": ("/challenges", {"sort": "-prize_total"}, ["prize_total", "id"], lambda id_: [900000, id_]),
    "submissions": ("/challenges/{challenge}/submissions", {}, ["challenge_id", "id"], lambda id_: [id_, id_]),
    "questions": ("/challenges/{challenge}/questions", {}, ["id"], lambda id_: [id_]),
    "announcements": ("/challenges/{challenge}/announcements", {}, ["id"], lambda id_: [id_]),
    "audit": ("/organisations/{organisation}/audit", {}, ["id"], lambda id_: [id_]),
    "members": ("/organisations/{organisation}/members", {}, ["user_id"], lambda id_: [id_]),
    "notifications": ("/notifications", {}, ["id"], lambda id_: [id_]),
    "leaderboard": ("/challenges/{board}/leaderboard", {}, ["rank_key", "submitted_at", "submission_id", "reached"],
                    lambda id_: [0.5, "2030-01-01T00:00:00+00:00", id_, 20]),
}


def page(client, world, name: str, values: list):
    """GET a list with a cursor holding these values for its keys."""
    path, query, keys, _ = LISTS[name]
    url = API + path.format(challenge=world.challenge.id, organisation=world.organisation.id, board=world.board.id)
    return client.get(url, headers=auth_headers(world.owner), query_string=query | {"cursor": cursor(keys, values)})


def board_page(client, world, score, reached=20):
    """GET the scored board anonymously, from a forged position with this score, after this many entrants."""
    forged = cursor(LISTS["leaderboard"][2], [score, "2030-01-01T00:00:00+00:00", 1, reached])
    return client.get(f"{API}/challenges/{world.board.id}/leaderboard", query_string={"cursor": forged})


def assert_bad_cursor(response) -> None:
    assert (response.status_code, response.content_type) == (400, "application/problem+json")
    assert response.json["detail"] == "The cursor is not valid for this list."


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("id_", [INT_MAX + 1, -INT_MAX - 2, 2 ** 63, 10 ** 30], ids=["2^31", "-2^31-1", "2^63", "1e30"])
def test_reader_pages_with_id_beyond_an_integer_column_gets_400(client, world, name, id_):
    assert_bad_cursor(page(client, world, name, LISTS[name][3](id_)))


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("id_", [INT_MAX, -INT_MAX - 1, 0], ids=["2^31-1", "-2^31", "0"])
def test_reader_pages_with_id_at_the_edge_of_an_integer_column_gets_a_page(client, world, name, id_):
    response = page(client, world, name, LISTS[name][3](id_))
    assert response.status_code == 200, response.json
    assert isinstance(response.json["items"], list)


@pytest.mark.parametrize("total, status", [(BIGINT_MAX, 200), (-BIGINT_MAX - 1, 200), (BIGINT_MAX + 1, 400),
                                           (-BIGINT_MAX - 2, 400), (1.5, 400), (True, 400)])
def test_reader_pages_challenges_by_prize_with_forged_total_gets_400_beyond_bigint(client, world, total, status):
    response = page(client, world, "by-prize", [total, 1])
    assert response.status_code == status, response.json
    if status == 400:
        assert_bad_cursor(response)


@pytest.mark.parametrize("at", [
    "0001-01-01T00:00:00+01:00",  # year 0 once in UTC
    "9999-12-31T23:30:00-01:00",  # year 10000 once in UTC
    "2030-01-01T00:00:00",  # no offset
    "2030-02-30T00:00:00+00:00",
    "tomorrow",
    1893456000,
    None,
])
@pytest.mark.parametrize("name", ["challenges", "leaderboard"])
def test_reader_pages_with_forged_timestamp_gets_400(client, world, name, at):
    values = LISTS[name][3](1)
    values[values.index("2030-01-01T00:00:00+00:00")] = at
    assert_bad_cursor(page(client, world, name, values))


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00"])
def test_reader_pages_with_timestamp_at_the_edge_of_the_calendar_gets_a_page(client, world, at):
    response = page(client, world, "challenges", [at, 1])
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("score", [10 ** 400, -(10 ** 400), "0.5", None, [0.5], True],
                         ids=["int-beyond-float", "negative-int-beyond-float", "text", "null", "list", "bool"])
def test_anonymous_pages_scored_board_with_forged_score_gets_400(client, world, score):
    assert_bad_cursor(board_page(client, world, score))


@pytest.mark.parametrize("reached", [-1, 2 ** 31, 1.5, "20", None, True])
def test_anonymous_pages_scored_board_with_forged_rank_gets_400(client, world, reached):
    assert_bad_cursor(board_page(client, world, 0.5, reached))


@pytest.mark.parametrize("score", [1.7976931348623157e308, -5e-324, 10 ** 300])
def test_anonymous_pages_scored_board_with_extreme_finite_score_gets_a_page(client, world, score):
    response = board_page(client, world, score)
    assert (response.status_code, response.json["items"]) == (200, [])
