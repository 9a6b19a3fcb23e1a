"""The stored boards of scored challenges: every change to what counts moves them, and a read costs the same at any
size."""
import base64
import json
import math
import time
from dataclasses import replace
from functools import partial

import pytest
import requests
from sqlalchemy import select as sql_select

from challenges.extensions import db
from challenges.models import BoardEntry, EvaluationStatus, Moderation, Prediction, Submission
from challenges.services import boards, scoring
from challenges.services.metrics import METRICS
from tests.factories import auth_headers, make_submission, make_user, statements_sent
from tests.test_scoring import (  # noqa: F401  (world is a fixture)
    API, board, labels, ranking, read, scored, select, submitted, upload_unclosed, world,
)
from tests.threads import race


def teams_of(response) -> list:
    """The team name of each entry (None for a participant alone)."""
    assert response.status_code == 200, response.json
    return [e["team"] and e["team"]["name"] for e in response.json["items"]]


def post(client, user, path: str, body=None, status: int = 200) -> dict:
    response = client.post(f"{API}{path}", headers=auth_headers(user), json=body)
    assert response.status_code == status, response.json
    return response.json


def private_board(client, world, challenge) -> list[tuple]:
    """The private board as the owner sees it at the deadline; the clock goes back where it was."""
    now = world.clock.now
    world.clock.now = challenge.closes_at
    try:
        return ranking(board(client, challenge.id, "private", world.owner))
    finally:
        world.clock.now = now


def stored_rows(app, challenge_id: int) -> list[tuple]:
    """The stored rows of a challenge's boards, in key order."""
    with app.app_context():
        return [(e.board, e.entrant, e.submission_id, e.score, e.rank_key, e.submitted_at) for e in db.session.scalars(
            sql_select(BoardEntry).where(BoardEntry.challenge_id == challenge_id)
            .order_by(BoardEntry.board, BoardEntry.entrant))]


def rebuilt_rows(app, challenge_id: int) -> list[tuple]:
    """The rows as a rebuild from the submissions computes them."""
    with app.app_context():
        boards.rebuild(challenge_id)
        db.session.commit()
    return stored_rows(app, challenge_id)


def test_participant_withdraws_best_submission_board_shows_next_best(client, world):
    challenge = scored(client, world)
    weak = submitted(client, challenge.id, world.alice, labels(challenge, 2))
    best = submitted(client, challenge.id, world.alice, labels(challenge, 0))
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 1))
    assert ranking(board(client, challenge.id)) == [(1, "Alice", best, 1.0), (2, "Bob", bob, pytest.approx(2 / 3))]
    post(client, world.alice, f"/submissions/{best}/withdraw")
    assert ranking(board(client, challenge.id)) == [
        (1, "Bob", bob, pytest.approx(2 / 3)), (2, "Alice", weak, pytest.approx(1 / 3))]


def test_manager_disqualifies_only_submission_participant_leaves_board(client, world):
    challenge = scored(client, world)
    alice = submitted(client, challenge.id, world.alice, labels(challenge, 0))
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 1))
    post(client, world.manager, f"/submissions/{alice}/disqualify", {"reason": "Leaked labels"})
    assert ranking(board(client, challenge.id)) == [(1, "Bob", bob, pytest.approx(2 / 3))]
    assert private_board(client, world, challenge) == [(1, "Bob", bob, pytest.approx(1.0))]


def test_admin_hides_then_restores_submission_board_follows(client, world):
    admin = make_user(is_admin=True)
    challenge = scored(client, world)
    weak = submitted(client, challenge.id, world.alice, labels(challenge, 2))
    best = submitted(client, challenge.id, world.alice, labels(challenge, 0))
    post(client, admin, f"/admin/moderation/submission/{best}", {"decision": "hide"})
    assert ranking(board(client, challenge.id)) == [(1, "Alice", weak, pytest.approx(1 / 3))]
    post(client, admin, f"/admin/moderation/submission/{best}", {"decision": "restore"})
    assert ranking(board(client, challenge.id)) == [(1, "Alice", best, 1.0)]


def test_admin_approves_held_submission_board_ranks_it(app, client, world):
    admin = make_user(is_admin=True)
    challenge = scored(client, world)
    held = submitted(client, challenge.id, world.alice, labels(challenge, 0))
    with app.app_context():  # as the spam filter would have held it
        db.session.get(Submission, held).moderation = Moderation.HELD
        db.session.commit()
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 1))
    assert ranking(board(client, challenge.id)) == [(1, "Bob", bob, pytest.approx(2 / 3))]
    post(client, admin, f"/admin/moderation/submission/{held}", {"decision": "approve"})
    assert ranking(board(client, challenge.id)) == [(1, "Alice", held, 1.0), (2, "Bob", bob, pytest.approx(2 / 3))]


def test_participant_changes_selection_private_board_follows(client, world):
    challenge = scored(client, world, selection=1)
    public_best = submitted(client, challenge.id, world.alice, labels(challenge, 0, 5))
    private_best = submitted(client, challenge.id, world.alice, labels(challenge, 1, 0))
    assert private_board(client, world, challenge) == [(1, "Alice", public_best, pytest.approx(2 / 7))]
    assert select(client, challenge.id, world.alice, [private_best]).status_code == 200
    assert private_board(client, world, challenge) == [(1, "Alice", private_best, 1.0)]
    assert select(client, challenge.id, world.alice, []).status_code == 200  # back to the best public one
    assert private_board(client, world, challenge) == [(1, "Alice", public_best, pytest.approx(2 / 7))]
    assert ranking(board(client, challenge.id)) == [(1, "Alice", public_best, 1.0)]


def test_participants_form_join_and_leave_team_board_ranks_team_as_one(client, world):
    challenge = scored(client, world, max_team_size=3)
    alice = submitted(client, challenge.id, world.alice, labels(challenge, 1))
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 0))
    carol = submitted(client, challenge.id, world.carol, labels(challenge, 2))
    team = post(client, world.alice, f"/challenges/{challenge.id}/teams", {"name": "Crew"}, 201)["id"]
    assert teams_of(board(client, challenge.id)) == [None, "Crew", None]
    invitation = post(client, world.alice, f"/teams/{team}/invitations", {"user_id": world.bob.id}, 201)["id"]
    post(client, world.bob, f"/invitations/{invitation}/accept")
    response = board(client, challenge.id)
    assert ranking(response) == [(1, "Bob", bob, 1.0), (2, "Carol", carol, pytest.approx(1 / 3))]
    assert teams_of(response) == ["Crew", None]
    assert client.delete(f"{API}/teams/{team}/members/{world.bob.id}",
                         headers=auth_headers(world.bob)).status_code == 204
    response = board(client, challenge.id)
    assert ranking(response) == [(1, "Bob", bob, 1.0), (2, "Alice", alice, pytest.approx(2 / 3)),
                                 (3, "Carol", carol, pytest.approx(1 / 3))]
    assert teams_of(response) == [None, "Crew", None]


def test_captains_merge_teams_board_ranks_merged_team_once(client, world):
    challenge = scored(client, world, max_team_size=3)
    submitted(client, challenge.id, world.alice, labels(challenge, 1))
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 0))
    crew = post(client, world.alice, f"/challenges/{challenge.id}/teams", {"name": "Crew"}, 201)["id"]
    rivals = post(client, world.bob, f"/challenges/{challenge.id}/teams", {"name": "Rivals"}, 201)["id"]
    assert teams_of(board(client, challenge.id)) == ["Rivals", "Crew"]
    post(client, world.alice, f"/teams/{crew}/merge", {"team_id": rivals}, 202)
    post(client, world.bob, f"/teams/{rivals}/merge", {"team_id": crew})
    response = board(client, challenge.id)
    assert (ranking(response), teams_of(response)) == ([(1, "Bob", bob, 1.0)], ["Crew"])


def test_worker_reevaluates_submission_board_follows_new_score(app, client, world):
    challenge = scored(client, world)
    alice = submitted(client, challenge.id, world.alice, labels(challenge, 0))
    worse = submitted(client, challenge.id, world.bob, labels(challenge, 2))
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 1))
    with app.app_context():  # Alice's stored predictions turn out to be Bob's weaker ones: score them again
        db.session.get(Prediction, alice).data = db.session.get(Prediction, worse).data
        db.session.get(Submission, alice).evaluation_status = EvaluationStatus.PENDING
        db.session.commit()
        scoring.evaluate(alice)
    assert ranking(board(client, challenge.id)) == [
        (1, "Bob", bob, pytest.approx(2 / 3)), (2, "Alice", alice, pytest.approx(1 / 3))]


def test_worker_scores_again_a_submission_that_failed_board_ranks_it_and_the_failure_is_forgotten(
        app, client, world, monkeypatch):
    challenge = scored(client, world)
    with monkeypatch.context() as patched:  # the metric fails on this file, once
        patched.setattr(scoring, "metric_of", lambda _: replace(METRICS["accuracy"], function=lambda *_: math.nan))
        alice = submitted(client, challenge.id, world.alice, labels(challenge, 0))
    assert read(client, alice, world.alice)["evaluation"]["fault"] == "participant"
    assert ranking(board(client, challenge.id)) == []
    with app.app_context():
        db.session.get(Submission, alice).evaluation_status = EvaluationStatus.PENDING
        db.session.commit()
        scoring.evaluate(alice)
    assert read(client, alice, world.alice)["evaluation"] == {
        "status": "scored", "public_score": 1.0, "private_score": None, "error": None, "fault": None}
    assert ranking(board(client, challenge.id)) == [(1, "Alice", alice, 1.0)]


def _scored_entrants(app, challenge, count: int) -> None:
    """`count` participants with one scored submission each, written straight to the database."""
    made = [make_submission(challenge, make_user()) for _ in range(count)]
    with app.app_context():
        for n, made_one in enumerate(made):
            row = db.session.get(Submission, made_one.id)
            row.evaluation_status, row.public_score, row.private_score = EvaluationStatus.SCORED, n / count, 0.5
        db.session.commit()


def test_anonymous_reads_board_with_statements_that_do_not_grow_with_submissions(app, client, world):
    counts = []
    for size in (25, 75):
        challenge = scored(client, world)
        _scored_entrants(app, challenge, size)
        url = f"{API}/challenges/{challenge.id}/leaderboard"
        with statements_sent(app) as first_sent:
            first = client.get(url, query_string={"limit": 20})
        with statements_sent(app) as deep_sent:
            deep = client.get(url, query_string={"limit": 20, "cursor": first.json["next_cursor"]})
        assert [e["rank"] for e in first.json["items"] + deep.json["items"]] == list(range(1, 41))[:size]
        assert [e["score"] for e in deep.json["items"]][:1] == [pytest.approx((size - 21) / size)]
        counts.append((len(first_sent), len(deep_sent)))
    assert counts[0] == counts[1] and max(counts[0]) <= 3, counts  # the challenge, then the page with its rank


def test_anonymous_pages_board_with_forged_cursor_gets_400(client, world):
    challenge = scored(client, world)
    for user in (world.alice, world.bob):
        submitted(client, challenge.id, user, labels(challenge, 1))
    cursor = client.get(f"{API}/challenges/{challenge.id}/leaderboard", query_string={"limit": 1}).json["next_cursor"]
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["v"][0] = "first"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    response = client.get(f"{API}/challenges/{challenge.id}/leaderboard", query_string={"cursor": forged})
    assert (response.status_code, response.content_type) == (400, "application/problem+json")


def test_operator_rebuilds_board_gets_the_rows_kept_in_step(app, client, world):
    challenge = scored(client, world, max_team_size=3)
    for user, wrong in ((world.alice, 0), (world.alice, 2), (world.bob, 1), (world.carol, 3)):
        submitted(client, challenge.id, user, labels(challenge, wrong, wrong))
    post(client, world.bob, f"/challenges/{challenge.id}/teams", {"name": "Crew"}, 201)
    kept = stored_rows(app, challenge.id)
    assert len(kept) == 8 and kept == rebuilt_rows(app, challenge.id)  # Bob alone keeps his rows, empty


@pytest.mark.postgres
def test_workers_score_uploads_at_once_then_participant_withdraws_and_selects_board_stays_exact(
        app, client, world, api, monkeypatch):
    challenge = scored(client, world)
    best = boards._best
    monkeypatch.setattr(boards, "_best", lambda *args: time.sleep(0.2) or best(*args))  # between reading and writing
    kept = submitted(client, challenge.id, world.alice, labels(challenge, 1, 0))
    pending = [upload_unclosed(client, challenge.id, world.alice, labels(challenge, wrong, 3 - wrong))
               for wrong in (0, 1, 2)]  # each one moves the board: a refresh that missed another shows

    def evaluate(submission_id):
        with app.app_context():
            scoring.evaluate(submission_id)

    race(*(partial(evaluate, r.json["id"]) for r in pending))
    assert stored_rows(app, challenge.id) == rebuilt_rows(app, challenge.id)
    call = partial(requests.request, headers=auth_headers(world.alice), timeout=30)
    responses = race(partial(call, "POST", f"{api}/submissions/{kept}/withdraw"),
                     partial(call, "PUT", f"{api}/challenges/{challenge.id}/selection",
                             json={"submission_ids": [pending[2].json["id"]]}))
    assert [r.status_code for r in responses] == [200, 200]
    assert ranking(board(client, challenge.id)) == [(1, "Alice", pending[0].json["id"], 1.0)]
    assert stored_rows(app, challenge.id) == rebuilt_rows(app, challenge.id)
    for response in pending:
        response.close()
