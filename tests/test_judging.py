"""Judged challenges: rubric, assignments, reviews, conflicts, shortlist, leaderboard, score sheet, blind judging."""
import csv
import io
import json
import math
from datetime import timedelta
from functools import partial
from types import SimpleNamespace

import pytest
import requests
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update

from challenges.extensions import db
from challenges.models import Assignment, ConflictOfInterest, Criterion, Evaluation, Review, Submission
from tests.threads import race
from tests.factories import (
    add_member, auth_headers, count, make_challenge, make_organisation, make_submission, make_user,
)

API = "/api/v1"
JUDGING = {"blind": False, "normalise": False, "allow_unassigned": True, "disagreement_threshold": 0.25}
RUBRIC = (("Impact", 2, 10), ("Clarity", 1, 5))  # (name, weight, max_score)
SCORING = {"metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2}
ACTORS = ("anonymous", "outsider", "author", "rival", "judge", "manager", "owner", "admin")


# Small builders

def _world(phase: str = "closed", *, judges: int = 3, entries: int = 2, names=None, **challenge_fields):
    """An organisation (owner, manager, judges), an admin, an outsider, a judged challenge and its entries."""
    owner, manager, admin, outsider = make_user(), make_user(), make_user(is_admin=True), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    panel = [make_user() for _ in range(judges)]
    for judge in panel:
        add_member(organisation, judge, "judge")
    make_organisation(outsider)  # an owner of another organisation: signed in, not a member here
    fields = {"judging": JUDGING} | challenge_fields
    challenge = make_challenge(organisation, phase=phase, **fields)
    authors = [make_user(**(names[i] if names else {})) for i in range(entries)]
    submissions = [make_submission(challenge, author, title=f"Entry {i + 1}") for i, author in enumerate(authors)] \
        if phase != "draft" else []
    return SimpleNamespace(owner=owner, manager=manager, admin=admin, outsider=outsider, judges=panel,
                           judge=panel[0] if panel else None, organisation=organisation, challenge=challenge,
                           authors=authors, entries=submissions)


def _actor(world, name: str):
    """The user playing `name` in the world (None for anonymous); 'author' wrote entry 1, 'rival' entry 2."""
    return {"anonymous": None, "outsider": world.outsider, "author": world.authors[0], "rival": world.authors[1],
            "judge": world.judge, "manager": world.manager, "owner": world.owner, "admin": world.admin}[name]


def _headers(user) -> dict:
    return auth_headers(user) if user else {}


def _rubric(app, challenge, specs=RUBRIC) -> list[int]:
    """Criteria written straight to the database (the API refuses them once the challenge has closed); their ids."""
    with app.app_context():
        rows = [Criterion(challenge_id=challenge.id, position=i, name=name, description="", weight=weight,
                          max_score=max_score) for i, (name, weight, max_score) in enumerate(specs)]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def _submitted_at(app, entry, at) -> None:
    """Move a submission's submitted_at, so that id order and submission order disagree."""
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.id == entry.id).values(submitted_at=at))
        db.session.commit()


def _rows(app, model, **where) -> list:
    with app.app_context():
        statement = select(model).filter_by(**where)
        return [SimpleNamespace(**{c.key: getattr(row, c.key) for c in model.__table__.columns})
                for row in db.session.scalars(statement)]


def _scores(criterion_ids, *values) -> dict:
    return {str(criterion_id): value for criterion_id, value in zip(criterion_ids, values, strict=True)}


def _review(client, user, entry, scores: dict, **extra):
    return client.put(f"{API}/submissions/{entry.id}/review", headers=_headers(user), json={"scores": scores} | extra)


def _leaderboard(client, user, challenge, **query):
    return client.get(f"{API}/challenges/{challenge.id}/leaderboard", headers=_headers(user), query_string=query)


def _entry_rows(body) -> list[tuple]:
    """A judged leaderboard as (rank, submission id, score, reviews, disagreement, shortlisted)."""
    return [(e["rank"], e["submission"]["id"], e["score"], e["reviews"], e["disagreement"], e["shortlisted"])
            for e in body["items"]]


def _problem(response, status: int) -> dict:
    """Check an error answer: the status, problem+json, and the status repeated in the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    return response.json


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# The whole panel, computed by hand

PANEL_RUBRIC = [{"name": "Impact", "description": "Who benefits, and how much", "weight": 2, "max_score": 10},
                {"name": "Feasibility", "weight": 1, "max_score": 5},
                {"name": "Clarity", "weight": 1, "max_score": 4}]
# Round-robin by load over judges j0 < j1 < j2 (ties go to the earlier judge), two per entry:
# e0: j0 j1 | e1: j2 j0 | e2: j1 j2 | e3: j0 j1 | e4: j2 j0   -> loads 4, 3, 3
PANEL_ASSIGNMENT = {0: {0, 1}, 1: {0, 2}, 2: {1, 2}, 3: {0, 1}, 4: {0, 2}}
# (entry, judge) -> (Impact /10 x2, Feasibility /5, Clarity /4); weighted = (2*i/10 + f/5 + c/4) / 4
PANEL_SCORES = {
    (0, 0): (10, 5, 4),   # (2 + 1 + 1) / 4 = 1.0
    (0, 1): (5, 5, 2),    # (1 + 1 + 0.5) / 4 = 0.625      spread 0.375 > 0.25: disagreement
    (1, 2): (5, 0, 4),    # (1 + 0 + 1) / 4 = 0.5
    (1, 0): (10, 0, 0),   # (2 + 0 + 0) / 4 = 0.5
    (2, 1): (10, 5, 0),   # (2 + 1 + 0) / 4 = 0.75
    (2, 2): (5, 5, 0),    # (1 + 1 + 0) / 4 = 0.5          spread exactly 0.25: no disagreement
    (3, 0): (0, 5, 4),    # (0 + 1 + 1) / 4 = 0.5
    (3, 1): (2.5, 5, 2),  # (0.5 + 1 + 0.5) / 4 = 0.5      e3 ties e1 at 0.5; e1 was submitted first
}                         # e4 is assigned but nobody reviews it
PANEL_WEIGHTED = {(0, 0): 1.0, (0, 1): 0.625, (1, 2): 0.5, (1, 0): 0.5, (2, 1): 0.75, (2, 2): 0.5, (3, 0): 0.5,
                  (3, 1): 0.5}
HYPERLINK = '=HYPERLINK("http://evil.example","Click")'


def _panel(client, time_machine, **judging):
    """Three judges, five active entries submitted an hour apart (and a withdrawn and a disqualified one),
    a rubric set while open, judges assigned, the deadline passed, and every assigned pair but e4's reviewed."""
    world = _world("open", entries=0, judging=JUDGING | {"allow_unassigned": False} | judging)
    rubric = client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.owner),
                        json=PANEL_RUBRIC)
    titles = ["Solar pumps", HYPERLINK, "Fog nets", "Sand dams", "Drip kits"]
    for i, title in enumerate(titles):
        author = make_user(display_name="+Eve Formula" if i == 0 else f"Author {i}")
        world.authors.append(author)
        world.entries.append(make_submission(world.challenge, author, title=title))
        time_machine.travel(hours=1)
    world.withdrawn = make_submission(world.challenge, make_user(), status="withdrawn", title="Gone")
    world.disqualified = make_submission(world.challenge, make_user(), status="disqualified", title="Copied")
    assigned = client.post(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.manager),
                           json={"judges_per_submission": 2})
    time_machine.travel(days=8)
    criteria = [c["id"] for c in rubric.json["items"]]
    comments = {(1, 2): "@SUM(A1:A9)", (0, 1): "-2 for typos"}
    reviews = {(e, j): _review(client, world.judges[j], world.entries[e], _scores(criteria, *values),
                               **({"comment": comments[e, j]} if (e, j) in comments else {}))
               for (e, j), values in PANEL_SCORES.items()}
    return SimpleNamespace(world=world, rubric=rubric, assigned=assigned, criteria=criteria, reviews=reviews)


def test_judges_review_as_a_panel_and_members_see_the_ranking_computed_by_hand(client, time_machine):
    panel = _panel(client, time_machine)
    world, e, j = panel.world, panel.world.entries, panel.world.judges
    assert panel.rubric.status_code == 200
    assert [{k: c[k] for k in ("name", "description", "weight", "max_score")} for c in panel.rubric.json["items"]] \
        == [{"name": "Impact", "description": "Who benefits, and how much", "weight": 2.0, "max_score": 10.0},
            {"name": "Feasibility", "description": "", "weight": 1.0, "max_score": 5.0},
            {"name": "Clarity", "description": "", "weight": 1.0, "max_score": 4.0}]
    assert panel.rubric.json["next_cursor"] is None
    assert panel.assigned.status_code == 200
    assert sorted((a["submission_id"], a["judge_id"]) for a in panel.assigned.json["items"]) == sorted(
        (e[entry].id, j[judge].id) for entry, judges in PANEL_ASSIGNMENT.items() for judge in judges)
    for (entry, judge), response in panel.reviews.items():
        assert response.status_code == 200, response.json
        assert response.json["submission_id"] == e[entry].id
        assert response.json["judge"] == {"id": j[judge].id, "display_name": j[judge].display_name}
        assert response.json["scores"] == _scores(panel.criteria, *map(float, PANEL_SCORES[entry, judge]))
        assert response.json["weighted_score"] == pytest.approx(PANEL_WEIGHTED[entry, judge])
    assert client.put(f"{API}/submissions/{e[2].id}/shortlist", headers=auth_headers(world.manager)).status_code == 200

    board = _leaderboard(client, j[2], world.challenge)
    assert board.status_code == 200
    assert board.json["next_cursor"] is None
    assert [entry["submission"] for entry in board.json["items"]] == [
        {"id": e[i].id, "title": title} for i, title in
        [(0, "Solar pumps"), (2, "Fog nets"), (1, HYPERLINK), (3, "Sand dams"), (4, "Drip kits")]]
    assert _entry_rows(board.json) == [
        (1, e[0].id, pytest.approx((1.0 + 0.625) / 2), 2, True, False),   # 0.8125
        (2, e[2].id, pytest.approx((0.75 + 0.5) / 2), 2, False, True),    # 0.625, shortlisted
        (3, e[1].id, pytest.approx(0.5), 2, False, False),                # tie at 0.5: submitted earlier
        (4, e[3].id, pytest.approx(0.5), 2, False, False),
        (None, e[4].id, None, 0, False, False)]                           # unreviewed: last, unranked


def test_member_reads_normalised_panel_leaderboard_ranked_by_mean_judge_z_scores(client, time_machine):
    panel = _panel(client, time_machine, normalise=True)
    e = panel.world.entries
    # j0 gave 1.0, 0.5, 0.5: mean 2/3, population std 1/(3*sqrt 2): z = sqrt 2, -sqrt 2 / 2, -sqrt 2 / 2
    # j1 gave 0.625, 0.75, 0.5: mean 0.625, population std 1/(4*sqrt 6): z = 0, sqrt 6 / 2, -sqrt 6 / 2
    # j2 gave 0.5, 0.5: no spread, so every z is 0
    board = _leaderboard(client, panel.world.manager, panel.world.challenge)
    assert board.status_code == 200
    assert _entry_rows(board.json) == [
        (1, e[0].id, pytest.approx((math.sqrt(2) + 0) / 2), 2, True, False),                 # 0.7071
        (2, e[2].id, pytest.approx((math.sqrt(6) / 2 + 0) / 2), 2, False, False),            # 0.6124
        (3, e[1].id, pytest.approx((-math.sqrt(2) / 2 + 0) / 2), 2, False, False),           # -0.3536
        (4, e[3].id, pytest.approx((-math.sqrt(2) / 2 - math.sqrt(6) / 2) / 2), 2, False, False),  # -0.9659
        (None, e[4].id, None, 0, False, False)]
    award = client.post(f"{API}/challenges/{panel.world.challenge.id}/awards", headers=auth_headers(panel.world.owner),
                        json={"prize_id": panel.world.challenge.prize_ids[0], "submission_id": e[2].id})
    assert (award.status_code, award.json["rank"], award.json["score"]) == (201, 2, pytest.approx(math.sqrt(6) / 4))


def test_manager_disqualifies_from_a_normalised_panel_and_the_judges_scales_move_the_other_scores(client, time_machine):
    panel = _panel(client, time_machine, normalise=True)
    world, e = panel.world, panel.world.entries
    disqualified = client.post(f"{API}/submissions/{e[2].id}/disqualify", headers=auth_headers(world.manager),
                               json={"reason": "Copied"})
    assert disqualified.status_code == 200
    # Without e2, j1 gave 0.625 and 0.5 (z = 1, -1) and j2 gave 0.5 alone (z = 0); j0's marks are unchanged.
    assert _entry_rows(_leaderboard(client, world.manager, world.challenge).json) == [
        (1, e[0].id, pytest.approx((math.sqrt(2) + 1) / 2), 2, True, False),
        (2, e[1].id, pytest.approx((-math.sqrt(2) / 2 + 0) / 2), 2, False, False),
        (3, e[3].id, pytest.approx((-math.sqrt(2) / 2 - 1) / 2), 2, False, False),
        (None, e[4].id, None, 0, False, False)]


def test_upgrade_to_stored_standings_fills_them_from_the_reviews(app, client, time_machine):
    panel = _panel(client, time_machine)
    before = _leaderboard(client, panel.world.manager, panel.world.challenge).json
    with app.app_context():
        downgrade(revision="0015")
        upgrade()
    after = _leaderboard(client, panel.world.manager, panel.world.challenge).json
    assert _entry_rows(after) == _entry_rows(before)
    assert [rank for rank, *_ in _entry_rows(after)] == [1, 2, 3, 4, None]


def test_manager_awards_panel_winners_with_rank_and_score_and_downloads_every_review(client, time_machine):
    panel = _panel(client, time_machine)
    world, e, j = panel.world, panel.world.entries, panel.world.judges
    url = f"{API}/challenges/{world.challenge.id}/awards"
    first = client.post(url, headers=auth_headers(world.manager),
                        json={"prize_id": world.challenge.prize_ids[0], "submission_id": e[0].id})
    assert first.status_code == 201
    assert (first.json["rank"], first.json["score"]) == (1, pytest.approx(0.8125))
    tied = client.post(url, headers=auth_headers(world.owner),
                       json={"prize_id": world.challenge.prize_ids[1], "submission_id": e[3].id})
    assert (tied.status_code, tied.json["rank"], tied.json["score"]) == (201, 4, pytest.approx(0.5))
    unreviewed = client.post(url, headers=auth_headers(world.admin),
                             json={"prize_id": world.challenge.prize_ids[2], "submission_id": e[4].id})
    assert (unreviewed.status_code, unreviewed.json["rank"], unreviewed.json["score"]) == (201, None, None)

    response = client.get(f"{API}/challenges/{world.challenge.id}/scores.csv", headers=auth_headers(world.owner))
    rows = _csv(response)
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="challenge-{world.challenge.id}-scores.csv"'
    assert rows[0] == ["submission_id", "submission_title", "participant_id", "participant", "status", "judge_id",
                       "judge", "Impact", "Feasibility", "Clarity", "weighted_score", "comment", "updated_at"]
    expected = sorted(PANEL_SCORES, key=lambda pair: (e[pair[0]].id, j[pair[1]].id))
    assert len(rows) == 1 + len(expected)
    for row, (entry, judge) in zip(rows[1:], expected, strict=True):
        title = {1: "'" + HYPERLINK}.get(entry, ["Solar pumps", None, "Fog nets", "Sand dams"][entry])
        author = world.authors[entry]
        name = "'+Eve Formula" if entry == 0 else author.display_name
        comment = {(1, 2): "'@SUM(A1:A9)", (0, 1): "'-2 for typos"}.get((entry, judge), "")
        assert row[:7] == [str(e[entry].id), title, str(author.id), name, "submitted", str(j[judge].id),
                           j[judge].display_name]
        assert [float(cell) for cell in row[7:11]] == [*PANEL_SCORES[entry, judge], PANEL_WEIGHTED[entry, judge]]
        assert row[11:12] == [comment] and row[12].startswith("2030-01-09T")


def test_judge_reviews_only_assigned_submissions_when_the_challenge_requires_it(client, time_machine):
    panel = _panel(client, time_machine)
    world, e, j = panel.world, panel.world.entries, panel.world.judges
    scores = _scores(panel.criteria, 1, 1, 1)
    _problem(_review(client, j[2], e[0], scores), 403)  # e0 went to j0 and j1
    assert _review(client, world.manager, e[0], scores).status_code == 200  # managers need no assignment
    assert _review(client, world.owner, e[0], scores).status_code == 200
    assert _review(client, world.admin, e[0], scores).status_code == 200
    assert _review(client, j[2], e[4], scores).status_code == 200
    mine = client.get(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(j[1]))
    assert mine.status_code == 200
    assert sorted(a["submission_id"] for a in mine.json["items"]) == sorted(
        e[entry].id for entry, judges in PANEL_ASSIGNMENT.items() if 1 in judges)
    assert {a["judge_id"] for a in mine.json["items"]} == {j[1].id}
    every = client.get(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.owner))
    assert len(every.json["items"]) == 10


# Reviews and the leaderboard in detail

def test_judge_reviews_again_and_the_review_is_replaced(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    first = _review(client, world.judge, world.entries[0], _scores(criteria, 4, 5), comment="First look")
    second = _review(client, world.judge, world.entries[0], _scores(criteria, 10, 0))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json["weighted_score"] == pytest.approx((2 * 4 / 10 + 5 / 5) / 3)
    assert second.json | {"updated_at": None, "created_at": None} == {
        "id": first.json["id"], "submission_id": world.entries[0].id,
        "judge": {"id": world.judge.id, "display_name": world.judge.display_name},
        "scores": _scores(criteria, 10.0, 0.0), "comment": "", "weighted_score": pytest.approx(2 / 3),
        "created_at": None, "updated_at": None}
    assert len(_rows(app, Review, submission_id=world.entries[0].id)) == 1
    listed = client.get(f"{API}/submissions/{world.entries[0].id}/reviews", headers=auth_headers(world.manager))
    assert [(r["id"], r["weighted_score"]) for r in listed.json["items"]] == [(first.json["id"], pytest.approx(2 / 3))]


def test_judge_scores_the_ends_of_each_range(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    low = _review(client, world.judges[0], world.entries[0], _scores(criteria, 0, 0))
    high = _review(client, world.judges[1], world.entries[1], _scores(criteria, 10, 5))
    assert (low.status_code, low.json["weighted_score"]) == (200, 0.0)
    assert (high.status_code, high.json["weighted_score"]) == (200, 1.0)
    board = _leaderboard(client, world.judge, world.challenge).json
    assert _entry_rows(board) == [(1, world.entries[1].id, 1.0, 1, False, False),
                                  (2, world.entries[0].id, 0.0, 1, False, False)]  # a zero is a score, ranked


def test_judge_lists_only_own_reviews_and_manager_lists_all(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    for judge in world.judges:
        assert _review(client, judge, world.entries[0], _scores(criteria, 5, 5)).status_code == 200
    url = f"{API}/submissions/{world.entries[0].id}/reviews"
    own = client.get(url, headers=auth_headers(world.judges[1]))
    assert own.status_code == 200
    assert [r["judge"]["id"] for r in own.json["items"]] == [world.judges[1].id]
    every = client.get(url, headers=auth_headers(world.owner), query_string={"limit": 2})
    rest = client.get(url, headers=auth_headers(world.owner), query_string={"cursor": every.json["next_cursor"]})
    assert [r["judge"]["id"] for r in every.json["items"] + rest.json["items"]] == [j.id for j in world.judges]
    assert rest.json["next_cursor"] is None


def test_member_reads_leaderboard_with_a_tie_won_by_the_earliest_submission_not_the_lowest_id(app, client):
    world = _world()
    later, earlier = world.entries
    _submitted_at(app, later, world.challenge.closes_at - timedelta(hours=2))
    _submitted_at(app, earlier, world.challenge.closes_at - timedelta(hours=5))
    criteria = _rubric(app, world.challenge)
    for entry in (later, earlier):
        assert _review(client, world.judge, entry, _scores(criteria, 6, 3)).status_code == 200
    board = _leaderboard(client, world.manager, world.challenge).json
    assert _entry_rows(board) == [(1, earlier.id, pytest.approx(0.6), 1, False, False),
                                  (2, later.id, pytest.approx(0.6), 1, False, False)]


def test_member_reads_leaderboard_with_equal_scores_from_different_sums_tied_by_the_earliest_submission(app, client):
    world = _world()
    later, earlier = world.entries
    _submitted_at(app, later, world.challenge.closes_at - timedelta(hours=2))
    _submitted_at(app, earlier, world.challenge.closes_at - timedelta(hours=5))
    criteria = _rubric(app, world.challenge, [("A", 1, 10), ("B", 1, 10), ("C", 1, 10)])
    # (1 + 1 + 1) / 30 and (3 + 0 + 0) / 30 are both exactly 0.1: a tie, which the earlier submission wins
    assert _review(client, world.judge, later, _scores(criteria, 1, 1, 1)).status_code == 200
    assert _review(client, world.judge, earlier, _scores(criteria, 3, 0, 0)).status_code == 200
    board = _leaderboard(client, world.manager, world.challenge).json
    assert _entry_rows(board) == [(1, earlier.id, pytest.approx(0.1), 1, False, False),
                                  (2, later.id, pytest.approx(0.1), 1, False, False)]


@pytest.mark.parametrize("high, low", [(4, 1), (7, 4), (10, 7)])
def test_member_reads_leaderboard_with_spread_equal_to_the_threshold_not_flagged(app, client, high, low):
    world = _world(judging=JUDGING | {"disagreement_threshold": 0.3})
    criteria = _rubric(app, world.challenge, [("Overall", 1, 10)])
    entry = world.entries[0]
    assert _review(client, world.judges[0], entry, _scores(criteria, high)).status_code == 200
    assert _review(client, world.judges[1], entry, _scores(criteria, low)).status_code == 200
    [first, _] = _leaderboard(client, world.manager, world.challenge).json["items"]
    assert (first["submission"]["id"], first["reviews"], first["disagreement"]) == (entry.id, 2, False)
    assert first["score"] == pytest.approx((high + low) / 20)


def test_member_reads_leaderboard_with_spread_above_a_custom_threshold_flagged(app, client):
    world = _world(judging=JUDGING | {"disagreement_threshold": 0.1})
    criteria = _rubric(app, world.challenge, [("Overall", 1, 8)])
    near, far = world.entries
    for judge, value in zip(world.judges, (4, 4.5, 5)):  # spread 1/8 > 0.1
        assert _review(client, judge, far, _scores(criteria, value)).status_code == 200
    for judge, value in zip(world.judges, (6, 6, 6.5)):  # spread 1/16
        assert _review(client, judge, near, _scores(criteria, value)).status_code == 200
    assert _entry_rows(_leaderboard(client, world.judge, world.challenge).json) == [
        (1, near.id, pytest.approx(18.5 / 24), 3, False, False),
        (2, far.id, pytest.approx(13.5 / 24), 3, True, False)]


def test_member_reads_normalised_leaderboard_with_zero_for_a_judge_whose_scores_do_not_vary(app, client):
    world = _world(entries=3, judging=JUDGING | {"normalise": True})
    criteria = _rubric(app, world.challenge, [("Overall", 1, 4)])
    a, b, c = world.entries
    flat, keen = world.judges[0], world.judges[1]
    for entry in (a, b, c):
        assert _review(client, flat, entry, _scores(criteria, 2)).status_code == 200
    for entry, value in ((a, 1), (b, 3)):  # keen: 0.25 and 0.75, mean 0.5, population std 0.25: z = -1, +1
        assert _review(client, keen, entry, _scores(criteria, value)).status_code == 200
    assert _entry_rows(_leaderboard(client, world.manager, world.challenge).json) == [
        (1, b.id, pytest.approx(0.5), 2, False, False),    # (0 + 1) / 2
        (2, c.id, 0.0, 1, False, False),                   # flat's 0 only
        (3, a.id, pytest.approx(-0.5), 2, False, False)]   # (0 - 1) / 2


def test_member_reads_leaderboard_without_withdrawn_or_disqualified_submissions(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    withdrawn = make_submission(world.challenge, make_user(), status="withdrawn")
    for entry in world.entries:
        assert _review(client, world.judge, entry, _scores(criteria, 8, 4)).status_code == 200
    disqualified = client.post(f"{API}/submissions/{world.entries[0].id}/disqualify",
                               headers=auth_headers(world.manager), json={"reason": "Plagiarism"})
    assert disqualified.status_code == 200
    board = _leaderboard(client, world.judge, world.challenge).json
    assert _entry_rows(board) == [(1, world.entries[1].id, pytest.approx(0.8), 1, False, False)]
    assert withdrawn.id not in [item["submission"]["id"] for item in board["items"]]
    sheet = _csv(client.get(f"{API}/challenges/{world.challenge.id}/scores.csv", headers=auth_headers(world.owner)))
    assert [(row[0], row[4]) for row in sheet[1:]] == [(str(world.entries[0].id), "disqualified"),
                                                       (str(world.entries[1].id), "submitted")]


def test_judge_pages_through_the_leaderboard(app, client):
    world = _world(entries=3)
    criteria = _rubric(app, world.challenge)
    for entry, value in zip(world.entries, (3, 9, 6)):
        _review(client, world.judge, entry, _scores(criteria, value, 5))
    first = _leaderboard(client, world.judge, world.challenge, limit=2).json
    second = _leaderboard(client, world.judge, world.challenge, limit=2, cursor=first["next_cursor"]).json
    assert [e["rank"] for e in first["items"] + second["items"]] == [1, 2, 3]
    assert [e["submission"]["id"] for e in first["items"] + second["items"]] == \
        [world.entries[1].id, world.entries[2].id, world.entries[0].id]
    assert second["next_cursor"] is None
    _problem(_leaderboard(client, world.judge, world.challenge, cursor="not-a-cursor"), 400)
    _problem(_leaderboard(client, world.judge, world.challenge, limit=101), 422)


def test_manager_awards_an_unreviewed_submission_with_null_rank_and_score(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    assert _review(client, world.judge, world.entries[1], _scores(criteria, 2, 2)).status_code == 200
    response = client.post(f"{API}/challenges/{world.challenge.id}/awards", headers=auth_headers(world.manager),
                           json={"prize_id": world.challenge.prize_ids[0], "submission_id": world.entries[0].id})
    assert (response.status_code, response.json["rank"], response.json["score"]) == (201, None, None)
    runner = client.post(f"{API}/challenges/{world.challenge.id}/awards", headers=auth_headers(world.manager),
                         json={"prize_id": world.challenge.prize_ids[1], "submission_id": world.entries[1].id})
    assert (runner.status_code, runner.json["rank"]) == (201, 1)
    assert runner.json["score"] == pytest.approx((2 * 2 / 10 + 2 / 5) / 3)


# The rubric

def test_owner_replaces_rubric_keeping_criteria_by_id(client):
    world = _world("open")
    url = f"{API}/challenges/{world.challenge.id}/criteria"
    first = client.put(url, headers=auth_headers(world.owner), json=[
        {"name": "Impact", "weight": 2, "max_score": 10}, {"name": "Cost", "weight": 1, "max_score": 5}])
    impact, cost = first.json["items"]
    second = client.put(url, headers=auth_headers(world.manager), json=[
        {"name": "Novelty", "description": "New to the field", "weight": 0.5, "max_score": 3},
        {"id": impact["id"], "name": "Reach", "weight": 3, "max_score": 100}])
    assert second.status_code == 200
    novelty, reach = second.json["items"]
    assert reach == {"id": impact["id"], "name": "Reach", "description": "", "weight": 3.0, "max_score": 100.0}
    assert novelty["id"] not in (impact["id"], cost["id"])
    listed = client.get(url, headers=auth_headers(world.judge))
    assert listed.status_code == 200
    assert listed.json == {"items": [novelty, reach], "next_cursor": None}
    paged = client.get(url, headers=auth_headers(world.judge), query_string={"limit": 1})
    assert paged.json["items"] == [novelty] and paged.json["next_cursor"]


@pytest.mark.parametrize("phase", ["draft", "upcoming", "open"])
def test_manager_sets_rubric_before_the_deadline(client, phase):
    world = _world(phase)
    response = client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.manager),
                          json=[{"name": "Impact", "weight": 1, "max_score": 10}])
    assert response.status_code == 200
    assert [(c["name"], c["weight"], c["max_score"]) for c in response.json["items"]] == [("Impact", 1.0, 10.0)]


@pytest.mark.parametrize("phase", ["closed", "finalised", "cancelled"])
def test_manager_sets_rubric_after_the_deadline_gets_409(app, client, phase):
    world = _world(phase)
    _rubric(app, world.challenge)
    _problem(client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.manager),
                        json=[{"name": "Impact", "weight": 1, "max_score": 10}]), 409)
    assert [c.name for c in _rows(app, Criterion, challenge_id=world.challenge.id)] == ["Impact", "Clarity"]


def test_owner_clears_the_rubric_with_an_empty_list_before_the_deadline(app, client):
    world = _world("open")
    _rubric(app, world.challenge)
    response = client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.owner), json=[])
    assert (response.status_code, response.json) == (200, {"items": [], "next_cursor": None})
    assert count(Criterion) == 0


BAD_CRITERIA = {
    "object instead of list": ({"name": "Impact", "weight": 1, "max_score": 10}, "0"),
    "missing name": ([{"weight": 1, "max_score": 10}], "0"),
    "blank name": ([{"name": "   ", "weight": 1, "max_score": 10}], "0"),
    "long name": ([{"name": "x" * 201, "weight": 1, "max_score": 10}], "0"),
    "missing weight": ([{"name": "Impact", "max_score": 10}], "0"),
    "missing max_score": ([{"name": "Impact", "weight": 1}], "0"),
    "string weight": ([{"name": "Impact", "weight": "1", "max_score": 10}], "0"),
    "string max_score": ([{"name": "Impact", "weight": 1, "max_score": "10"}], "0"),
    "boolean weight": ([{"name": "Impact", "weight": True, "max_score": 10}], "0"),
    "null weight": ([{"name": "Impact", "weight": None, "max_score": 10}], "0"),
    "zero weight": ([{"name": "Impact", "weight": 0, "max_score": 10}], "0"),
    "negative weight": ([{"name": "Impact", "weight": -1, "max_score": 10}], "0"),
    "huge weight": ([{"name": "Impact", "weight": 1001, "max_score": 10}], "0"),
    "huge integer weight": ([{"name": "Impact", "weight": 10 ** 400, "max_score": 10}], "0"),
    "zero max_score": ([{"name": "Impact", "weight": 1, "max_score": 0}], "0"),
    "huge max_score": ([{"name": "Impact", "weight": 1, "max_score": 1e7}], "0"),
    "unknown field": ([{"name": "Impact", "weight": 1, "max_score": 10, "colour": "red"}], "0"),
    "string id": ([{"id": "1", "name": "Impact", "weight": 1, "max_score": 10}], "0"),
    "second item bad": ([{"name": "A", "weight": 1, "max_score": 10}, {"name": "B", "weight": 1}], "1"),
    "duplicate names": ([{"name": "Impact", "weight": 1, "max_score": 10},
                         {"name": " impact ", "weight": 2, "max_score": 5}], "name"),
    "unknown id": ([{"id": 2_000_000_000, "name": "Impact", "weight": 1, "max_score": 10}], "id"),
    "too many criteria": ([{"name": f"C{i}", "weight": 1, "max_score": 10} for i in range(51)], None),
}


@pytest.mark.parametrize("body, field", BAD_CRITERIA.values(), ids=BAD_CRITERIA.keys())
def test_owner_sets_bad_rubric_gets_422(app, client, body, field):
    world = _world("open")
    kept = _rubric(app, world.challenge)
    problem = _problem(client.put(f"{API}/challenges/{world.challenge.id}/criteria",
                                  headers=auth_headers(world.owner), json=body), 422)
    assert field is None or field in problem["errors"]
    assert [c.id for c in _rows(app, Criterion, challenge_id=world.challenge.id)] == kept


@pytest.mark.parametrize("payload", ["[{\"name\": \"A\", \"weight\": NaN, \"max_score\": 10}]",
                                     "[{\"name\": \"A\", \"weight\": 1, \"max_score\": 1e400}]"])
def test_owner_sets_rubric_with_non_finite_numbers_gets_422(client, payload):
    world = _world("open")
    response = client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.owner),
                          data=payload, content_type="application/json")
    assert "0" in _problem(response, 422)["errors"]


def test_owner_reuses_the_id_of_another_challenges_criterion_gets_422(app, client):
    world = _world("open")
    other = make_challenge(world.organisation, phase="open")
    [foreign, _] = _rubric(app, other)
    problem = _problem(client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.owner),
                                  json=[{"id": foreign, "name": "Stolen", "weight": 1, "max_score": 5}]), 422)
    assert "id" in problem["errors"]
    assert [c.name for c in _rows(app, Criterion, challenge_id=other.id)] == ["Impact", "Clarity"]


def test_owner_sets_the_largest_rubric_and_a_judge_scores_all_of_it(app, client, time_machine):
    world = _world("open")
    body = [{"name": f"C{i}", "weight": 1, "max_score": 10} for i in range(50)]
    response = client.put(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.owner),
                          json=body)
    assert response.status_code == 200
    time_machine.travel(days=8)
    scores = {str(c["id"]): 5 for c in response.json["items"]}
    review = _review(client, world.judge, world.entries[0], scores)
    assert (review.status_code, review.json["weighted_score"]) == (200, 0.5)


def test_member_reads_rubric_of_scored_challenge_gets_409(client):
    world = _world("open", evaluation=Evaluation.SCORED, judging=None, scoring=SCORING)
    url = f"{API}/challenges/{world.challenge.id}/criteria"
    _problem(client.get(url, headers=auth_headers(world.judge)), 409)
    _problem(client.put(url, headers=auth_headers(world.owner), json=[{"name": "A", "weight": 1, "max_score": 1}]),
             409)


# Assignments

def test_manager_assigns_judges_balancing_load_over_active_submissions_only(client):
    world = _world("closed", judges=3, entries=7)
    make_submission(world.challenge, make_user(), status="withdrawn")
    make_submission(world.challenge, make_user(), status="disqualified")
    response = client.post(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.manager),
                           json={"judges_per_submission": 2})
    assert response.status_code == 200
    pairs = [(a["submission_id"], a["judge_id"]) for a in response.json["items"]]
    assert len(pairs) == len(set(pairs)) == 14
    assert {s for s, _ in pairs} == {e.id for e in world.entries}
    assert all(sum(1 for s, _ in pairs if s == e.id) == 2 for e in world.entries)
    loads = [sum(1 for _, judge in pairs if judge == j.id) for j in world.judges]
    assert sorted(loads) == [4, 5, 5]  # 14 over 3 judges, at most one apart
    assert {judge for _, judge in pairs} == {j.id for j in world.judges}  # managers and owners are not in the pool


def test_manager_assigns_again_and_the_new_assignment_replaces_the_old(app, client):
    world = _world("open", entries=4)
    url = f"{API}/challenges/{world.challenge.id}/assignments"
    assert len(client.post(url, headers=auth_headers(world.owner), json={"judges_per_submission": 3})
               .json["items"]) == 12
    again = client.post(url, headers=auth_headers(world.owner), json={"judges_per_submission": 1})
    assert again.status_code == 200
    assert sorted(a["submission_id"] for a in again.json["items"]) == sorted(e.id for e in world.entries)
    assert len(_rows(app, Assignment, challenge_id=world.challenge.id)) == 4
    listed = client.get(url, headers=auth_headers(world.manager))
    assert listed.json == again.json


def test_manager_assigns_around_a_declared_conflict(app, client):
    world = _world("open", judges=2, entries=2)
    conflicted, entry = world.judges[0], world.entries[0]
    declared = client.post(f"{API}/submissions/{entry.id}/conflict", headers=auth_headers(conflicted),
                           json={"reason": "My cousin wrote it"})
    assert declared.status_code == 200
    response = client.post(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.manager),
                           json={"judges_per_submission": 2})
    pairs = {(a["submission_id"], a["judge_id"]) for a in response.json["items"]}
    assert pairs == {(entry.id, world.judges[1].id), (world.entries[1].id, conflicted.id),
                     (world.entries[1].id, world.judges[1].id)}


@pytest.mark.parametrize("body, field", [
    ({}, "judges_per_submission"), ({"judges_per_submission": "2"}, "judges_per_submission"),
    ({"judges_per_submission": 2.5}, "judges_per_submission"), ({"judges_per_submission": 0}, "judges_per_submission"),
    ({"judges_per_submission": True}, "judges_per_submission"),
    ({"judges_per_submission": None}, "judges_per_submission"),
    ({"judges_per_submission": 10 ** 30}, "judges_per_submission"),
    ({"judges_per_submission": 4}, "judges_per_submission"),  # more than the three judges
    ({"judges_per_submission": 1, "judges": [1]}, "judges"), ([], None),
])
def test_manager_assigns_with_bad_body_gets_422(app, client, body, field):
    world = _world("open")
    problem = _problem(client.post(f"{API}/challenges/{world.challenge.id}/assignments",
                                   headers=auth_headers(world.manager), json=body), 422)
    assert field is None or field in problem["errors"]
    assert count(Assignment) == 0


@pytest.mark.parametrize("phase", ["draft", "finalised", "cancelled"])
def test_manager_assigns_unless_published_gets_409(client, phase):
    world = _world(phase)
    _problem(client.post(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.manager),
                         json={"judges_per_submission": 1}), 409)
    assert count(Assignment) == 0


def test_manager_assigns_without_any_judge_gets_422(client):
    world = _world("open", judges=0)
    problem = _problem(client.post(f"{API}/challenges/{world.challenge.id}/assignments",
                                   headers=auth_headers(world.manager), json={"judges_per_submission": 1}), 422)
    assert "judges_per_submission" in problem["errors"]


# Reviews: bodies and states

def test_judge_reviews_with_missing_out_of_range_and_unknown_scores_gets_422_per_criterion(app, client):
    world = _world()
    impact, clarity = _rubric(app, world.challenge)
    problem = _problem(_review(client, world.judge, world.entries[0], {str(impact): 11, "999999": 1}), 422)
    assert set(problem["errors"]) == {"scores"}
    assert set(problem["errors"]["scores"]) == {str(impact), str(clarity), "999999"}
    assert count(Review) == 0


BAD_REVIEWS = {
    "no scores": {"comment": "Nice"},
    "scores a list": {"scores": [1, 2]},
    "scores a number": {"scores": 7},
    "scores null": {"scores": None},
    "empty scores": {"scores": {}},
    "string score": {"scores": {"{impact}": "7", "{clarity}": 3}},
    "boolean score": {"scores": {"{impact}": True, "{clarity}": 3}},
    "null score": {"scores": {"{impact}": None, "{clarity}": 3}},
    "negative score": {"scores": {"{impact}": -0.5, "{clarity}": 3}},
    "score above max": {"scores": {"{impact}": 10.01, "{clarity}": 3}},
    "huge score": {"scores": {"{impact}": 1e308, "{clarity}": 3}},
    "huge integer score": {"scores": {"{impact}": 10 ** 400, "{clarity}": 3}},
    "unknown criterion": {"scores": {"{impact}": 5, "{clarity}": 3, "12345678": 1}},
    "criterion of another challenge": {"scores": {"{impact}": 5, "{clarity}": 3, "{foreign}": 1}},
    "empty key": {"scores": {"{impact}": 5, "{clarity}": 3, "": 1}},
    "too many keys": {"scores": {str(n): 1 for n in range(1, 52)}},
    "unknown field": {"scores": {"{impact}": 5, "{clarity}": 3}, "verdict": "yes"},
    "comment a number": {"scores": {"{impact}": 5, "{clarity}": 3}, "comment": 5},
    "comment null": {"scores": {"{impact}": 5, "{clarity}": 3}, "comment": None},
    "comment too long": {"scores": {"{impact}": 5, "{clarity}": 3}, "comment": "x" * 10_001},
    "body a list": [{"scores": {"{impact}": 5, "{clarity}": 3}}],
}


@pytest.mark.parametrize("body", BAD_REVIEWS.values(), ids=BAD_REVIEWS.keys())
def test_judge_reviews_with_bad_body_gets_422(app, client, body):
    world = _world()
    impact, clarity = _rubric(app, world.challenge)
    [foreign, _] = _rubric(app, make_challenge(world.organisation, phase="closed"))
    text = json.dumps(body).replace("{impact}", str(impact)).replace("{clarity}", str(clarity)) \
        .replace("{foreign}", str(foreign))
    response = client.put(f"{API}/submissions/{world.entries[0].id}/review", headers=auth_headers(world.judge),
                          data=text, content_type="application/json")
    problem = _problem(response, 422)
    assert problem["errors"]
    assert count(Review) == 0


@pytest.mark.parametrize("payload", ['{"scores": {"%s": NaN, "%s": 1}}', '{"scores": {"%s": 1e400, "%s": 1}}'])
def test_judge_reviews_with_non_finite_score_gets_422(app, client, payload):
    world = _world()
    impact, clarity = _rubric(app, world.challenge)
    response = client.put(f"{API}/submissions/{world.entries[0].id}/review", headers=auth_headers(world.judge),
                          data=payload % (impact, clarity), content_type="application/json")
    assert "scores" in _problem(response, 422)["errors"]


def test_judge_reviews_with_malformed_json_or_a_body_too_large_is_refused(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    url = f"{API}/submissions/{world.entries[0].id}/review"
    _problem(client.put(url, headers=auth_headers(world.judge), data='{"scores": ', content_type="application/json"),
             400)
    _problem(client.put(url, headers=auth_headers(world.judge), json={"scores": _scores(criteria, 1, 1),
                                                                      "comment": "x" * 2_000_000}), 413)
    _problem(client.put(url, headers=auth_headers(world.judge), data="scores=1", content_type="text/plain"), 415)
    assert count(Review) == 0


@pytest.mark.parametrize("phase", ["upcoming", "open", "finalised", "cancelled"])
def test_judge_reviews_outside_the_closed_phase_gets_409(app, client, phase):
    world = _world(phase)
    criteria = _rubric(app, world.challenge)
    _problem(_review(client, world.judge, world.entries[0], _scores(criteria, 5, 5)), 409)
    assert count(Review) == 0


@pytest.mark.parametrize("status", ["withdrawn", "disqualified"])
def test_judge_reviews_withdrawn_or_disqualified_submission_gets_409(app, client, status):
    world = _world()
    criteria = _rubric(app, world.challenge)
    entry = make_submission(world.challenge, make_user(), status=status)
    _problem(_review(client, world.judge, entry, _scores(criteria, 5, 5)), 409)
    assert count(Review) == 0


@pytest.mark.parametrize("phase, status", [("open", "submitted"), ("closed", "withdrawn"), ("finalised", "submitted")])
def test_judge_reviews_with_bad_scores_in_a_wrong_state_gets_422_first(app, client, phase, status):
    world = _world(phase)
    [impact, _] = _rubric(app, world.challenge)
    entry = make_submission(world.challenge, make_user(), status=status)
    problem = _problem(_review(client, world.judge, entry, {str(impact): 99}), 422)
    assert str(impact) in problem["errors"]["scores"]


def test_judge_reviews_before_the_rubric_is_set_gets_409(client):
    world = _world()
    _problem(_review(client, world.judge, world.entries[0], {}), 409)
    _problem(_review(client, world.judge, world.entries[0], {"1": 5}), 409)
    assert count(Review) == 0


def test_judge_reviews_submission_of_scored_challenge_gets_409(client):
    world = _world(evaluation=Evaluation.SCORED, judging=None, scoring=SCORING)
    _problem(_review(client, world.judge, world.entries[0], {"1": 5}), 409)
    _problem(client.get(f"{API}/submissions/{world.entries[0].id}/reviews", headers=auth_headers(world.judge)), 409)
    _problem(client.get(f"{API}/challenges/{world.challenge.id}/scores.csv", headers=auth_headers(world.owner)), 409)


def test_owner_calls_with_a_huge_id_gets_404(client):
    world = _world()
    for path in ("review", "reviews", "conflict", "shortlist"):
        method = {"review": client.put, "reviews": client.get, "conflict": client.post, "shortlist": client.put}[path]
        _problem(method(f"{API}/submissions/99999999999999999999/{path}", headers=auth_headers(world.owner)), 404)
    _problem(client.get(f"{API}/challenges/2147483648/leaderboard", headers=auth_headers(world.owner)), 404)


def test_anonymous_or_outsider_with_bad_body_gets_401_or_404_not_422(app, client):
    world = _world()
    _rubric(app, world.challenge)
    url = f"{API}/submissions/{world.entries[0].id}/review"
    _problem(client.put(url, json={"scores": "junk"}), 401)
    _problem(client.put(url, headers=auth_headers(world.outsider), json={"scores": "junk"}), 404)
    _problem(client.put(url, headers=auth_headers(world.authors[0]), json={"scores": "junk"}), 403)
    criteria_url = f"{API}/challenges/{world.challenge.id}/criteria"
    _problem(client.put(criteria_url, headers=auth_headers(world.judge), json="junk"), 403)


# Conflicts of interest

def test_judge_declares_a_conflict_losing_the_review_and_the_assignment(app, client):
    world = _world(judges=2)
    criteria = _rubric(app, world.challenge)
    entry, judge = world.entries[0], world.judge
    client.post(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.manager),
                json={"judges_per_submission": 2})
    for member in (judge, world.judges[1]):
        assert _review(client, member, entry, _scores(criteria, 10, 5)).status_code == 200
    response = client.post(f"{API}/submissions/{entry.id}/conflict", headers=auth_headers(judge),
                           json={"reason": "I mentored the author"})
    assert response.status_code == 200
    assert response.json | {"declared_at": None} == {"submission_id": entry.id, "judge_id": judge.id,
                                                      "reason": "I mentored the author", "declared_at": None}
    assert [r.judge_id for r in _rows(app, Review, submission_id=entry.id)] == [world.judges[1].id]
    assert (entry.id, judge.id) not in {(a.submission_id, a.judge_id) for a in _rows(app, Assignment)}
    _problem(_review(client, judge, entry, _scores(criteria, 0, 0)), 403)
    mine = client.get(f"{API}/submissions/{entry.id}/reviews", headers=auth_headers(judge))
    assert (mine.status_code, mine.json["items"]) == (200, [])
    [top, _] = _leaderboard(client, world.manager, world.challenge).json["items"]
    assert (top["submission"]["id"], top["reviews"], top["score"]) == (entry.id, 1, 1.0)


def test_judge_declares_the_same_conflict_twice_and_gets_the_first_declaration(app, client):
    world = _world()
    url = f"{API}/submissions/{world.entries[0].id}/conflict"
    first = client.post(url, headers=auth_headers(world.judge), json={"reason": "Former colleague"})
    second = client.post(url, headers=auth_headers(world.judge), json={"reason": "Another reason"})
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json == first.json
    assert [c.reason for c in _rows(app, ConflictOfInterest)] == ["Former colleague"]


def test_manager_declares_a_conflict_and_may_no_longer_review(app, client):
    world = _world()
    criteria = _rubric(app, world.challenge)
    entry = world.entries[0]
    assert client.post(f"{API}/submissions/{entry.id}/conflict", headers=auth_headers(world.manager),
                       json={"reason": "Family"}).status_code == 200
    _problem(_review(client, world.manager, entry, _scores(criteria, 1, 1)), 403)
    assert _review(client, world.owner, entry, _scores(criteria, 1, 1)).status_code == 200


@pytest.mark.parametrize("phase", ["finalised", "cancelled"])
def test_judge_declares_a_conflict_after_finalisation_gets_409(client, phase):
    world = _world(phase)
    _problem(client.post(f"{API}/submissions/{world.entries[0].id}/conflict", headers=auth_headers(world.judge),
                         json={"reason": "Too late"}), 409)
    assert count(ConflictOfInterest) == 0


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": None}, {"reason": 5}, {"reason": "x" * 2001},
                                  {"reason": "ok", "severity": "high"}, ["ok"]])
def test_judge_declares_a_conflict_with_bad_body_gets_422(client, body):
    world = _world()
    _problem(client.post(f"{API}/submissions/{world.entries[0].id}/conflict", headers=auth_headers(world.judge),
                         json=body), 422)
    assert count(ConflictOfInterest) == 0


# The shortlist

def test_manager_shortlists_and_unshortlists_a_submission(client):
    world = _world()
    entry = world.entries[0]
    url = f"{API}/submissions/{entry.id}/shortlist"
    put = client.put(url, headers=auth_headers(world.manager))
    assert put.status_code == 200
    assert (put.json["id"], put.json["shortlisted"], put.json["participant"]["id"]) == (entry.id, True,
                                                                                      world.authors[0].id)
    assert client.put(url, headers=auth_headers(world.owner)).json["shortlisted"] is True  # again: still one
    shown = client.get(f"{API}/submissions/{entry.id}", headers=auth_headers(world.judge))
    assert shown.json["shortlisted"] is True
    deleted = client.delete(url, headers=auth_headers(world.owner))
    assert (deleted.status_code, deleted.get_data()) == (204, b"")
    assert client.get(f"{API}/submissions/{entry.id}", headers=auth_headers(world.judge)).json["shortlisted"] is False
    assert client.delete(url, headers=auth_headers(world.owner)).status_code == 204


def test_manager_shortlists_with_a_body_gets_422(client):
    world = _world()
    response = client.put(f"{API}/submissions/{world.entries[0].id}/shortlist", headers=auth_headers(world.manager),
                          json={"shortlisted": True})
    assert "shortlisted" in _problem(response, 422)["errors"]


@pytest.mark.parametrize("status", ["withdrawn", "disqualified"])
def test_manager_shortlists_withdrawn_or_disqualified_submission_gets_409(client, status):
    world = _world()
    entry = make_submission(world.challenge, make_user(), status=status)
    _problem(client.put(f"{API}/submissions/{entry.id}/shortlist", headers=auth_headers(world.manager)), 409)


def test_manager_changes_the_shortlist_after_finalisation_gets_409(client):
    world = _world("finalised")
    url = f"{API}/submissions/{world.entries[0].id}/shortlist"
    _problem(client.put(url, headers=auth_headers(world.manager)), 409)
    _problem(client.delete(url, headers=auth_headers(world.manager)), 409)


# The score sheet

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_owner_downloads_score_sheet_with_formula_cells_neutralised(app, client, start):
    world = _world(names=[{"display_name": f"{start}Mallory"}, {}])
    criteria = _rubric(app, world.challenge, [(f"{start}Impact", 1, 10)])
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.id == world.entries[0].id)
                           .values(title=f"{start}1+1"))
        db.session.commit()
    assert _review(client, world.judge, world.entries[0], _scores(criteria, 7), comment=f"{start}cmd").status_code \
        == 200
    header, row = _csv(client.get(f"{API}/challenges/{world.challenge.id}/scores.csv",
                                  headers=auth_headers(world.manager)))
    assert header[7] == f"'{start}Impact"
    assert (row[1], row[3], row[7], row[8], row[9]) == (f"'{start}1+1", f"'{start}Mallory", "7.0", "0.7",
                                                        f"'{start}cmd")


def test_owner_downloads_score_sheet_without_reviews_gets_the_header_only(app, client):
    world = _world()
    _rubric(app, world.challenge)
    assert _csv(client.get(f"{API}/challenges/{world.challenge.id}/scores.csv",
                           headers=auth_headers(world.owner))) == [
        ["submission_id", "submission_title", "participant_id", "participant", "status", "judge_id", "judge",
         "Impact", "Clarity", "weighted_score", "comment", "updated_at"]]


# Who may do what

def _expect(default: int, **cells) -> dict:
    return {actor: cells.get(actor, default) for actor in ACTORS}


MEMBERS_ONLY = _expect(403, anonymous=401, judge=200, manager=200, owner=200, admin=200)
MANAGERS_ONLY = _expect(403, anonymous=401, manager=200, owner=200, admin=200)
# Submission-level calls: entrants other than the author, and outsiders, do not see the submission at all.
JUDGING_MEMBERS = _expect(404, anonymous=401, author=403, judge=200, manager=200, owner=200, admin=200)
MANAGING_MEMBERS = _expect(404, anonymous=401, author=403, judge=403, manager=200, owner=200, admin=200)

CALLS = {  # name: (phase, method, path, body, expected statuses)
    "read_rubric": ("closed", "GET", "/challenges/{challenge}/criteria", None, MEMBERS_ONLY),
    "set_rubric": ("open", "PUT", "/challenges/{challenge}/criteria",
                   [{"name": "Impact", "weight": 1, "max_score": 10}], MANAGERS_ONLY),
    "assign": ("closed", "POST", "/challenges/{challenge}/assignments", {"judges_per_submission": 1}, MANAGERS_ONLY),
    "list_assignments": ("closed", "GET", "/challenges/{challenge}/assignments", None, MEMBERS_ONLY),
    "review": ("closed", "PUT", "/submissions/{entry}/review", "scores", JUDGING_MEMBERS),
    "list_reviews": ("closed", "GET", "/submissions/{entry}/reviews", None, JUDGING_MEMBERS),
    "declare_conflict": ("closed", "POST", "/submissions/{entry}/conflict", {"reason": "Friend"}, JUDGING_MEMBERS),
    "shortlist": ("closed", "PUT", "/submissions/{entry}/shortlist", None, MANAGING_MEMBERS),
    "unshortlist": ("closed", "DELETE", "/submissions/{entry}/shortlist", None,
                    MANAGING_MEMBERS | {"manager": 204, "owner": 204, "admin": 204}),
    "leaderboard": ("closed", "GET", "/challenges/{challenge}/leaderboard", None, MEMBERS_ONLY),
    "score_sheet": ("closed", "GET", "/challenges/{challenge}/scores.csv", None, MANAGERS_ONLY),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("actor", ACTORS)
def test_actor_calls_judging_endpoint_gets_the_status_of_their_role(app, client, call, actor):
    phase, method, path, body, expected = CALLS[call]
    world = _world(phase)
    criteria = _rubric(app, world.challenge)
    if body == "scores":
        body = {"scores": _scores(criteria, 5, 5)}
    url = API + path.format(challenge=world.challenge.id, entry=world.entries[0].id)
    user = _actor(world, actor)
    response = client.open(url, method=method, headers=_headers(user), json=body)
    status = expected[actor]
    if status >= 400:
        _problem(response, status)
        return
    assert response.status_code == status, response.get_data(as_text=True)
    if call == "review":
        assert (response.json["judge"]["id"], response.json["weighted_score"]) == (user.id, pytest.approx(2 / 3))
    elif call == "declare_conflict":
        assert (response.json["judge_id"], response.json["submission_id"]) == (user.id, world.entries[0].id)
    elif call == "shortlist":
        assert (response.json["id"], response.json["shortlisted"]) == (world.entries[0].id, True)
    elif call == "leaderboard":
        assert [e["submission"]["id"] for e in response.json["items"]] == [e.id for e in world.entries]
    elif call == "score_sheet":
        assert response.get_data(as_text=True).startswith("submission_id,")
    elif call in ("read_rubric", "set_rubric"):
        assert [c["name"] for c in response.json["items"]] == \
            (["Impact", "Clarity"] if call == "read_rubric" else ["Impact"])
    elif call == "assign":
        assert len(response.json["items"]) == len(world.entries)
    elif method == "GET":
        assert response.json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("actor", ["outsider", "author"])
def test_signed_in_non_member_reads_judged_leaderboard_gets_403_even_when_finalised(client, actor):
    world = _world("finalised")
    _problem(_leaderboard(client, _actor(world, actor), world.challenge), 403)
    _problem(_leaderboard(client, None, world.challenge), 401)


def test_outsider_reads_rubric_of_a_draft_gets_404(client):
    world = _world("draft")
    _problem(client.get(f"{API}/challenges/{world.challenge.id}/criteria", headers=auth_headers(world.outsider)), 404)
    _problem(_leaderboard(client, world.outsider, world.challenge), 404)


# Blind judging

SECRET_NAMES = [{"display_name": "Zelda Quillfeather", "email": "zelda.quillfeather@example.com"},
                {"display_name": "Yorick Ambersmythe", "email": "yorick.ambersmythe@example.com"}]


def _blind_world(app, client, phase: str = "closed"):
    """A blind challenge after the deadline: reviews, an assignment, a shortlist and an award in place."""
    world = _world(phase, names=SECRET_NAMES, judging=JUDGING | {"blind": True})
    criteria = _rubric(app, world.challenge)
    client.post(f"{API}/challenges/{world.challenge.id}/assignments", headers=auth_headers(world.manager),
                json={"judges_per_submission": 3})
    for judge in world.judges:
        assert _review(client, judge, world.entries[0], _scores(criteria, 7, 3)).status_code == 200
    assert _review(client, world.manager, world.entries[1], _scores(criteria, 4, 4)).status_code == 200
    assert client.put(f"{API}/submissions/{world.entries[1].id}/shortlist",
                      headers=auth_headers(world.manager)).status_code == 200
    assert client.post(f"{API}/challenges/{world.challenge.id}/awards", headers=auth_headers(world.manager),
                       json={"prize_id": world.challenge.prize_ids[0],
                             "submission_id": world.entries[0].id}).status_code == 201
    world.criteria = criteria
    return world


def _leaks(world, response) -> list[str]:
    """Everything in a response that names or identifies an author: names, emails, ids as users or participants."""
    text = response.get_data(as_text=True) + "".join(f"{k}: {v}\n" for k, v in response.headers.items())
    found = [secret for author in world.authors for secret in (author.display_name, author.email) if secret in text]
    author_ids = {author.id for author in world.authors}

    def walk(value):
        if isinstance(value, dict):
            if value.get("participant") is not None:
                found.append(f"participant {value['participant']}")
            if value.get("participant_id") in author_ids:
                found.append(f"participant_id {value['participant_id']}")
            if "display_name" in value and value.get("id") in author_ids:
                found.append(f"user {value}")
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if response.is_json:
        walk(response.json)
    return found


BLIND_CALLS = {  # name: (method, path, body); every call a judge can make, with what they send
    "read_submission": ("GET", "/submissions/{entry}", None),
    "read_other_submission": ("GET", "/submissions/{other}", None),
    "list_submissions": ("GET", "/challenges/{challenge}/submissions", None),
    "results_preview": ("GET", "/challenges/{challenge}/results", None),
    "leaderboard": ("GET", "/challenges/{challenge}/leaderboard", None),
    "list_reviews": ("GET", "/submissions/{entry}/reviews", None),
    "list_assignments": ("GET", "/challenges/{challenge}/assignments", None),
    "list_awards": ("GET", "/challenges/{challenge}/awards", None),
    "read_rubric": ("GET", "/challenges/{challenge}/criteria", None),
    "read_challenge": ("GET", "/challenges/{challenge}", None),
    "list_members": ("GET", "/organisations/{organisation}/members", None),
    "save_review": ("PUT", "/submissions/{entry}/review", "scores"),
    "declare_conflict": ("POST", "/submissions/{other}/conflict", {"reason": "I may know them"}),
    "score_sheet_refused": ("GET", "/challenges/{challenge}/scores.csv", None),
    "shortlist_refused": ("PUT", "/submissions/{other}/shortlist", None),
    "audit_refused": ("GET", "/organisations/{organisation}/audit", None),
    "edit_refused": ("PATCH", "/submissions/{entry}", {"title": "Mine now"}),
    "withdraw_refused": ("POST", "/submissions/{entry}/withdraw", None),
    "disqualify_refused": ("POST", "/submissions/{entry}/disqualify", {"reason": "Curious"}),
    "award_refused": ("POST", "/challenges/{challenge}/awards", {"prize_id": "{prize}", "submission_id": "{other}"}),
}


def _blind_call(client, world, user, name):
    method, path, body = BLIND_CALLS[name]
    ids = {"entry": world.entries[0].id, "other": world.entries[1].id, "challenge": world.challenge.id,
           "organisation": world.organisation.id, "prize": world.challenge.prize_ids[1]}
    if body == "scores":
        body = {"scores": _scores(world.criteria, 2, 2), "comment": "Solid"}
    elif isinstance(body, dict):
        body = {key: ids[value.strip("{}")] if isinstance(value, str) and value.startswith("{") else value
                for key, value in body.items()}
    return client.open(API + path.format(**ids), method=method, headers=auth_headers(user), json=body)


@pytest.mark.parametrize("call", BLIND_CALLS)
def test_judge_of_blind_challenge_never_learns_an_author(app, client, call):
    world = _blind_world(app, client)
    response = _blind_call(client, world, world.judges[1], call)
    assert response.status_code == (403 if call.endswith("_refused") else 200), response.get_data(as_text=True)
    assert _leaks(world, response) == []


def test_judge_of_blind_challenge_sees_submissions_with_participant_null(app, client):
    world = _blind_world(app, client)
    judge = world.judges[2]
    one = client.get(f"{API}/submissions/{world.entries[0].id}", headers=auth_headers(judge))
    assert (one.status_code, one.json["participant"], one.json["title"]) == (200, None, "Entry 1")
    listed = client.get(f"{API}/challenges/{world.challenge.id}/submissions", headers=auth_headers(judge))
    assert [(s["id"], s["participant"]) for s in listed.json["items"]] == [(e.id, None) for e in world.entries]
    results = client.get(f"{API}/challenges/{world.challenge.id}/results", headers=auth_headers(judge))
    assert [(r["submission"]["id"], r["participant"]) for r in results.json["items"]] == [(world.entries[0].id, None)]


@pytest.mark.parametrize("role", ["manager", "owner", "admin"])
def test_manager_of_blind_challenge_still_sees_authors(app, client, role):
    world = _blind_world(app, client)
    user = _actor(world, role)
    for call in ("read_submission", "list_submissions", "results_preview"):
        response = _blind_call(client, world, user, call)
        assert response.status_code == 200
        assert world.authors[0].display_name in response.get_data(as_text=True)
        assert _leaks(world, response)  # the check that finds nothing for judges finds the authors here
    sheet = _csv(client.get(f"{API}/challenges/{world.challenge.id}/scores.csv", headers=auth_headers(user)))
    assert {row[3] for row in sheet[1:]} == {author.display_name for author in world.authors}


def test_judge_of_blind_challenge_sees_authors_once_finalised(app, client):
    world = _blind_world(app, client)
    assert client.post(f"{API}/challenges/{world.challenge.id}/finalise",
                       headers=auth_headers(world.owner)).status_code == 200
    judge, author = world.judges[0], world.authors[0]
    author_ref = {"id": author.id, "display_name": author.display_name}
    one = client.get(f"{API}/submissions/{world.entries[0].id}", headers=auth_headers(judge))
    assert (one.status_code, one.json["participant"]) == (200, author_ref)
    listed = client.get(f"{API}/challenges/{world.challenge.id}/submissions", headers=auth_headers(judge))
    assert [s["participant"]["id"] for s in listed.json["items"]] == [a.id for a in world.authors]
    results = client.get(f"{API}/challenges/{world.challenge.id}/results", headers=auth_headers(judge))
    assert [r["participant"] for r in results.json["items"]] == [author_ref]


def test_judge_of_cancelled_blind_challenge_still_does_not_learn_authors(app, client):
    world = _world("cancelled", names=SECRET_NAMES, judging=JUDGING | {"blind": True})
    for url in (f"{API}/submissions/{world.entries[0].id}", f"{API}/challenges/{world.challenge.id}/submissions"):
        response = client.get(url, headers=auth_headers(world.judge))
        assert response.status_code == 200
        assert _leaks(world, response) == []


# Concurrency (PostgreSQL, real threads)


def _send(method: str, url: str, user, body):
    return partial(requests.request, method, url, json=body, headers=auth_headers(user), timeout=30)


@pytest.mark.postgres
def test_judge_saving_one_review_ten_times_at_once_leaves_one_review(app, api):
    world = _world()
    criteria = _rubric(app, world.challenge)
    entry = world.entries[0]
    url = f"{api}/submissions/{entry.id}/review"
    bodies = [{"scores": _scores(criteria, n, n % 6), "comment": f"take {n}"} for n in range(10)]
    responses = race(*(_send("PUT", url, world.judge, body) for body in bodies))
    assert [r.text for r in responses if r.status_code >= 500] == []
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.json()["id"] for r in responses}) == 1
    [stored] = _rows(app, Review, submission_id=entry.id)
    assert stored.judge_id == world.judge.id
    body = next(b for b in bodies if b["comment"] == stored.comment)
    assert stored.scores == {k: float(v) for k, v in body["scores"].items()}
    assert stored.weighted_score == pytest.approx((2 * float(body["scores"][str(criteria[0])]) / 10
                                                   + float(body["scores"][str(criteria[1])]) / 5) / 3)


@pytest.mark.postgres
def test_judge_declaring_a_conflict_while_reviewing_never_keeps_a_review_of_that_submission(app, api):
    world = _world(entries=10)
    criteria = _rubric(app, world.challenge)
    calls = []
    for entry in world.entries:
        calls += [_send("PUT", f"{api}/submissions/{entry.id}/review", world.judge,
                        {"scores": _scores(criteria, 8, 4)}),
                  _send("POST", f"{api}/submissions/{entry.id}/conflict", world.judge, {"reason": "Friend"})]
    responses = race(*calls)
    assert [r.text for r in responses if r.status_code >= 500] == []
    assert {r.status_code for r in responses[::2]} <= {200, 403}
    assert {r.status_code for r in responses[1::2]} == {200}
    board = requests.get(f"{api}/challenges/{world.challenge.id}/leaderboard", headers=auth_headers(world.manager),
                         timeout=30).json()
    assert [(e["reviews"], e["score"]) for e in board["items"]] == [(0, None)] * 10  # the judge's reviews are out
    kept = {(r.submission_id, r.judge_id) for r in _rows(app, Review)}
    declared = {(c.submission_id, c.judge_id) for c in _rows(app, ConflictOfInterest)}
    assert len(declared) == 10
    assert kept & declared == set()
