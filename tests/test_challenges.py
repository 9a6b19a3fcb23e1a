"""Challenges through the HTTP API: drafting, publishing, amending, cancelling, finalising and browsing."""
import base64
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.factories import (
    add_member, auth_headers, make_award, make_challenge, make_organisation, make_submission, make_user,
)

API = "/api/v1/challenges"
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)
PHASES = ["draft", "upcoming", "open", "closed", "finalised", "cancelled"]
AMOUNTS = [500000, 300000, 100000, 50000, 20000]
DEFAULT_JUDGING = {"blind": False, "normalise": False, "allow_unassigned": True, "disagreement_threshold": 0.25}


def iso(moment):
    return moment.isoformat()


def eur(amount, currency="EUR"):
    return {"amount": amount, "currency": currency}


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


@pytest.fixture
def owner(time_machine):
    return make_user()


@pytest.fixture
def org(owner):
    return make_organisation(owner)


@pytest.fixture
def headers(owner):
    return auth_headers(owner)


def draft(client, headers, org, **fields):
    body = {"organisation_id": org.id, "title": "Clean water", "closes_at": iso(T0 + timedelta(hours=2)),
            "prizes": [{"title": "First", "reward": eur(1000)}]} | fields
    return ok(client.post(API, headers=headers, json=body), 201)


def read(client, challenge_id, headers=None):
    return ok(client.get(f"{API}/{challenge_id}", headers=headers))


def ids(client, headers=None, **params):
    return [c["id"] for c in ok(client.get(API, headers=headers, query_string={"limit": 100} | params))["items"]]


def audit(client, org, headers):
    return ok(client.get(f"/api/v1/organisations/{org.id}/audit?limit=100", headers=headers))["items"]


def published_prizes(challenge, amounts=AMOUNTS, currency="EUR", order=(0, 1, 2)):
    return [{"id": challenge.prize_ids[i], "title": f"Prize {i + 1}", "reward": eur(amounts[i], currency)}
            for i in order]


def test_manager_creates_draft_with_defaults(client, org):
    manager = make_user()
    add_member(org, manager, "manager")
    body = draft(client, auth_headers(manager), org, tags=["AI", " Water ", "ai"], prizes=[
        {"title": "Gold", "reward": eur(5000)}, {"title": "Mentoring", "description": "An hour a week"}])
    assert {k: body[k] for k in ("organisation_id", "status", "phase", "evaluation", "judging", "scoring", "tags",
                                 "max_submissions_per_participant", "publish_winning_submissions", "opens_at",
                                 "published_at", "terms_version", "submission_count", "created_at")} == {
        "organisation_id": org.id, "status": "draft", "phase": "draft", "evaluation": "judged",
        "judging": DEFAULT_JUDGING, "scoring": None, "tags": ["ai", "water"], "max_submissions_per_participant": 1,
        "publish_winning_submissions": True, "opens_at": None, "published_at": None, "terms_version": 1,
        "submission_count": 0, "created_at": iso(T0)}
    assert [{k: v for k, v in p.items() if k != "id"} for p in body["prizes"]] == [
        {"rank": 1, "title": "Gold", "reward": eur(5000), "description": ""},
        {"rank": 2, "title": "Mentoring", "reward": None, "description": "An hour a week"}]
    assert read(client, body["id"], auth_headers(manager)) == body


def test_owner_creates_draft_with_null_limit_unlimited(client, headers, org):
    body = draft(client, headers, org, max_submissions_per_participant=None)
    assert body["max_submissions_per_participant"] is None
    assert read(client, body["id"], headers)["max_submissions_per_participant"] is None


@pytest.mark.parametrize("fields, field", [
    ({"prizes": [{"title": "A", "rank": 2}]}, "prizes"),
    ({"evaluation": "scored"}, "scoring"),
    ({"scoring": {"metric": "rmse"}}, "scoring"),
    ({"closes_at": "2030-01-02T12:00:00"}, "closes_at"),
    ({"opens_at": iso(T0 + timedelta(hours=2))}, "opens_at"),
])
def test_owner_creates_invalid_draft_unprocessable(client, headers, org, fields, field):
    response = client.post(API, headers=headers, json={"organisation_id": org.id, "title": "T",
                                                       "closes_at": iso(T0 + timedelta(hours=2))} | fields)
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_owner_patches_draft_prizes_and_tags_freely(client, headers, org):
    body = draft(client, headers, org, tags=["ai"],
                 prizes=[{"title": t, "reward": eur(a)} for t, a in [("A", 300), ("B", 200), ("C", 100)]])
    a, b, c = (p["id"] for p in body["prizes"])
    patched = ok(client.patch(f"{API}/{body['id']}", headers=headers, json={
        "title": "Cleaner water", "tags": ["Water", "AI", "water"], "prizes": [
            {"id": c, "title": "C", "reward": eur(900)}, {"id": a, "title": "A+"},
            {"title": "D", "reward": eur(50, "USD")}]}))
    assert (patched["title"], patched["tags"]) == ("Cleaner water", ["water", "ai"])
    assert [(p["rank"], p["title"], p["reward"]) for p in patched["prizes"]] == [
        (1, "C", eur(900)), (2, "A+", None), (3, "D", eur(50, "USD"))]
    assert [p["id"] for p in patched["prizes"]][:2] == [c, a] and b not in [p["id"] for p in patched["prizes"]]
    assert read(client, body["id"], headers) == patched


def test_owner_switches_draft_evaluation_ok(client, headers, org):
    body = draft(client, headers, org)
    scored = ok(client.patch(f"{API}/{body['id']}", headers=headers,
                             json={"evaluation": "scored", "scoring": {"metric": "rmse"}}))
    assert (scored["evaluation"], scored["judging"], scored["scoring"]) == ("scored", None, {
        "metric": "rmse", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2})
    judged = ok(client.patch(f"{API}/{body['id']}", headers=headers, json={"evaluation": "judged"}))
    assert (judged["evaluation"], judged["judging"], judged["scoring"]) == ("judged", DEFAULT_JUDGING, None)


@pytest.mark.parametrize("changes, field", [
    (lambda other: {"scoring": {"metric": "rmse"}}, "scoring"),
    (lambda other: {"evaluation": "scored"}, "scoring"),
    (lambda other: {"title": "Renamed", "prizes": [{"id": other.prize_ids[0], "title": "Stolen"}]}, "prizes"),
    (lambda other: {"closes_at": iso(T0 + timedelta(minutes=30))}, "opens_at closes_at"),
    (lambda other: {"closes_at": iso(T0 + timedelta(minutes=30)), "prizes": [{"title": "New"}]}, "opens_at closes_at"),
])
def test_owner_patches_draft_invalid_unprocessable_unchanged(client, headers, org, changes, field):
    body = draft(client, headers, org, opens_at=iso(T0 + timedelta(hours=1)))
    other = make_challenge(make_organisation(make_user()), phase="draft")
    response = client.patch(f"{API}/{body['id']}", headers=headers, json=changes(other))
    assert response.status_code == 422 and set(field.split()) & set(response.json["errors"]), response.json
    assert read(client, body["id"], headers) == body


def test_owner_deletes_draft_no_content(client, headers, org):
    body = draft(client, headers, org)
    assert client.delete(f"{API}/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/{body['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize("phase", ["upcoming", "open", "closed", "finalised", "cancelled"])
def test_owner_deletes_published_conflict(client, headers, org, phase):
    challenge = make_challenge(org, phase=phase)
    before = read(client, challenge.id)
    assert client.delete(f"{API}/{challenge.id}", headers=headers).status_code == 409
    assert read(client, challenge.id) == before


@pytest.mark.parametrize("fields, hours", [({"prizes": []}, 0), ({}, 2), ({}, 3)])
def test_owner_publishes_without_prize_or_after_deadline_conflict(client, headers, org, time_machine, fields, hours):
    body = draft(client, headers, org, **fields)
    time_machine.travel(hours=hours)
    assert client.post(f"{API}/{body['id']}/publish", headers=headers).status_code == 409
    assert read(client, body["id"], headers) == body


def test_owner_publishes_draft_opens_now(client, headers, org, time_machine):
    body = draft(client, headers, org)
    time_machine.travel(minutes=10)
    published = ok(client.post(f"{API}/{body['id']}/publish", headers=headers))
    now = iso(T0 + timedelta(minutes=10))
    assert (published["status"], published["phase"], published["opens_at"], published["published_at"]) == (
        "published", "open", now, now)
    assert read(client, body["id"]) == published
    assert client.post(f"{API}/{body['id']}/publish", headers=headers).status_code == 409


def test_anonymous_reads_phase_following_clock_ok(client, headers, org, time_machine):
    body = draft(client, headers, org, opens_at=iso(T0 + timedelta(hours=1)))
    ok(client.post(f"{API}/{body['id']}/publish", headers=headers))
    for minutes, phase in [(0, "upcoming"), (59, "upcoming"), (1, "open"), (59, "open"), (1, "closed")]:
        time_machine.travel(minutes=minutes)
        assert read(client, body["id"])["phase"] == phase
        for other in ("upcoming", "open", "closed"):
            assert ids(client, phase=other) == ([body["id"]] if other == phase else [])


@pytest.mark.parametrize("changes, terms_version", [
    ({"title": "Sharper", "summary": "Shorter", "description": "More", "tags": ["Water", "AI"]}, 1),
    ({"rules": "Be kind and cite sources"}, 2),
])
def test_owner_amends_published_text_audited(client, headers, org, changes, terms_version):
    challenge = make_challenge(org, phase="open")
    body = ok(client.patch(f"{API}/{challenge.id}", headers=headers, json=changes))
    expected = changes | ({"tags": ["water", "ai"]} if "tags" in changes else {})
    assert {k: body[k] for k in expected} == expected and body["terms_version"] == terms_version
    assert read(client, challenge.id) == body
    entry = audit(client, org, headers)[0]
    assert (entry["action"], entry["object_id"], entry["details"]) == (
        "challenge.amended", challenge.id, {"fields": sorted(changes)})


@pytest.mark.parametrize("phase", ["upcoming", "open"])
def test_owner_extends_deadline_audited(client, headers, org, phase):
    challenge = make_challenge(org, phase=phase)
    later = iso(challenge.closes_at + timedelta(days=3))
    assert ok(client.patch(f"{API}/{challenge.id}", headers=headers, json={"closes_at": later}))["closes_at"] == later
    assert read(client, challenge.id)["closes_at"] == later
    details = {e["action"]: e["details"] for e in audit(client, org, headers)}
    assert details["challenge.deadline_extended"] == {"closes_at": later}
    assert details["challenge.amended"] == {"fields": ["closes_at"]}


@pytest.mark.parametrize("phase, setup, changes", [
    ("open", {}, lambda c: {"closes_at": iso(c.closes_at - timedelta(hours=1))}),
    ("upcoming", {}, lambda c: {"closes_at": iso(c.closes_at - timedelta(hours=1))}),
    ("closed", {}, lambda c: {"closes_at": iso(c.closes_at + timedelta(days=3))}),
    ("open", {}, lambda c: {"prizes": published_prizes(c, amounts=[499999, 300000, 100000])}),
    ("open", {}, lambda c: {"prizes": published_prizes(c)[:2]}),
    ("open", {}, lambda c: {"prizes": published_prizes(c, order=(1, 0, 2))}),
    ("open", {}, lambda c: {"prizes": [published_prizes(c)[0], {"title": "New", "reward": eur(900000)},
                                       *published_prizes(c)[1:]]}),
    ("open", {}, lambda c: {"prizes": published_prizes(c, currency="USD")}),
    ("open", {}, lambda c: {"prizes": [{**published_prizes(c)[0], "reward": None}, *published_prizes(c)[1:]]}),
    ("open", {}, lambda c: {"max_submissions_per_participant": 2}),
    ("open", {"max_submissions_per_participant": None}, lambda c: {"max_submissions_per_participant": 5}),
    ("open", {}, lambda c: {"title": "Valid on its own", "max_submissions_per_participant": 1}),
    ("open", {}, lambda c: {"evaluation": "scored", "scoring": {"metric": "mae"}}),
    ("upcoming", {}, lambda c: {"opens_at": iso(T0 + timedelta(hours=2))}),
    ("open", {}, lambda c: {"ip_terms": "We keep your IP"}),
    ("open", {}, lambda c: {"publish_winning_submissions": False}),
    ("open", {}, lambda c: {"judging": {"blind": True}}),
    ("finalised", {}, lambda c: {"title": "Too late"}),
    ("cancelled", {}, lambda c: {"title": "Too late"}),
])
def test_owner_amends_published_forbidden_change_conflict_unchanged(client, headers, org, phase, setup, changes):
    challenge = make_challenge(org, phase=phase)
    before = ok(client.patch(f"{API}/{challenge.id}", headers=headers, json=setup)) if setup else \
        read(client, challenge.id)
    response = client.patch(f"{API}/{challenge.id}", headers=headers, json=changes(challenge))
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert read(client, challenge.id) == before


def test_owner_amends_published_with_foreign_prize_unprocessable(client, headers, org):
    challenge = make_challenge(org, phase="open")
    foreign = make_challenge(make_organisation(make_user()), phase="open")
    before, foreign_before = read(client, challenge.id), read(client, foreign.id)
    response = client.patch(f"{API}/{challenge.id}", headers=headers, json={"prizes": [
        *published_prizes(challenge), {"id": foreign.prize_ids[0], "title": "Prize 1", "reward": eur(500000)}]})
    assert response.status_code == 422 and "prizes" in response.json["errors"]
    assert (read(client, challenge.id), read(client, foreign.id)) == (before, foreign_before)


def test_owner_raises_and_adds_prizes_ok(client, headers, org):
    challenge = make_challenge(org, phase="open")
    rival = make_challenge(org, phase="open", prizes=4)
    assert ids(client, sort="-prize_total") == [rival.id, challenge.id]
    body = ok(client.patch(f"{API}/{challenge.id}", headers=headers, json={"prizes": published_prizes(
        challenge, amounts=[600000, 300000, 100000]) + [{"title": "Bonus", "reward": eur(1000)}, {"title": "Swag"}]}))
    assert [(p["rank"], p["reward"]) for p in body["prizes"]] == [
        (1, eur(600000)), (2, eur(300000)), (3, eur(100000)), (4, eur(1000)), (5, None)]
    assert [p["id"] for p in body["prizes"][:3]] == challenge.prize_ids
    assert read(client, challenge.id)["prizes"] == body["prizes"]
    assert ids(client, sort="-prize_total") == [challenge.id, rival.id]


@pytest.mark.parametrize("start, limit", [(3, 3), (3, 10), (3, None), (None, None)])
def test_owner_grows_submission_limit_ok(client, headers, org, start, limit):
    challenge = make_challenge(org, phase="open")
    ok(client.patch(f"{API}/{challenge.id}", headers=headers, json={"max_submissions_per_participant": start}))
    body = ok(client.patch(f"{API}/{challenge.id}", headers=headers, json={"max_submissions_per_participant": limit}))
    assert body["max_submissions_per_participant"] == read(client, challenge.id)[
        "max_submissions_per_participant"] == limit


@pytest.mark.parametrize("phase", ["upcoming", "open", "closed"])
def test_owner_sends_published_values_back_ok(client, headers, org, phase):
    challenge = make_challenge(org, phase=phase)
    before = read(client, challenge.id)
    fields = ("title", "summary", "description", "rules", "tags", "evaluation", "judging", "opens_at", "closes_at",
              "ip_terms", "publish_winning_submissions", "max_submissions_per_participant", "prizes")
    after = ok(client.patch(f"{API}/{challenge.id}", headers=headers, json={k: before[k] for k in fields}))
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items()
                                                                     if k != "updated_at"}
    assert "challenge.deadline_extended" not in {e["action"] for e in audit(client, org, headers)}


@pytest.mark.parametrize("phase, listed", [("draft", False), ("upcoming", True), ("open", True), ("closed", True)])
def test_owner_cancels_challenge_ok(client, headers, org, phase, listed):
    challenge = make_challenge(org, phase=phase)
    body = ok(client.post(f"{API}/{challenge.id}/cancel", headers=headers, json={"reason": "Funding fell through"}))
    assert (body["status"], body["phase"], body["cancel_reason"], body["cancelled_at"]) == (
        "cancelled", "cancelled", "Funding fell through", iso(T0))
    assert read(client, challenge.id, headers) == body
    for who in (None, headers):
        assert ids(client, who, phase="cancelled") == ([challenge.id] if listed else [])
        assert ids(client, who) == ids(client, who, phase="draft") == []


@pytest.mark.parametrize("phase, payload, status", [
    ("finalised", {"reason": "No"}, 409), ("cancelled", {"reason": "Again"}, 409),
    ("open", {}, 422), ("open", {"reason": ""}, 422),
])
def test_owner_cancels_challenge_refused_unchanged(client, headers, org, phase, payload, status):
    challenge = make_challenge(org, phase=phase)
    before = read(client, challenge.id)
    assert client.post(f"{API}/{challenge.id}/cancel", headers=headers, json=payload).status_code == status
    assert read(client, challenge.id) == before


@pytest.mark.parametrize("phase", ["draft", "upcoming", "open", "finalised", "cancelled"])
def test_owner_finalises_unclosed_conflict(client, headers, org, phase):
    challenge = make_challenge(org, phase=phase)
    before = read(client, challenge.id, headers)
    assert client.post(f"{API}/{challenge.id}/finalise", headers=headers).status_code == 409
    assert read(client, challenge.id, headers) == before


def test_owner_finalises_once_closed_results_public(client, owner, headers, org, time_machine):
    challenge = make_challenge(org, phase="open", closes_at=T0 + timedelta(hours=1))
    winner = make_user()
    submission = make_submission(challenge, winner)
    assert client.post(f"{API}/{challenge.id}/finalise", headers=headers).status_code == 409
    time_machine.travel(hours=1)
    make_award(challenge, challenge.prize_ids[0], submission, owner)
    assert client.get(f"{API}/{challenge.id}/results").status_code == 404
    body = ok(client.post(f"{API}/{challenge.id}/finalise", headers=headers))
    assert (body["status"], body["phase"], body["finalised_at"]) == ("finalised", "finalised", iso(time_machine.now))
    results = ok(client.get(f"{API}/{challenge.id}/results"))["items"]
    assert [(r["prize"]["id"], r["submission"]["id"], r["participant"]["id"]) for r in results] == [
        (challenge.prize_ids[0], submission.id, winner.id)]
    assert ids(client, phase="finalised") == [challenge.id] and ids(client, phase="closed") == []


@pytest.fixture
def each_phase(org):
    return {phase: make_challenge(org, phase=phase, created_at=T0 - timedelta(hours=i)).id
            for i, phase in enumerate(PHASES)}


def test_anonymous_browses_default_published_newest_first(client, each_phase):
    assert ids(client) == [each_phase[p] for p in ("upcoming", "open", "closed", "finalised")]


def test_anonymous_browses_summaries_and_reads_the_long_texts_in_the_detail(client, org):
    challenge = make_challenge(org, phase="open", tags=["water", "ml"])
    [item] = ok(client.get(API))["items"]
    detail = ok(client.get(f"{API}/{challenge.id}"))
    long_texts = {"description", "rules", "ip_terms"}
    assert long_texts <= detail.keys() and not long_texts & item.keys()
    assert item == {key: value for key, value in detail.items() if key not in long_texts}
    assert (item["tags"], [p["id"] for p in item["prizes"]]) == (["water", "ml"], challenge.prize_ids)


@pytest.mark.parametrize("phase", PHASES[1:])
def test_anonymous_browses_phase_only_that_phase(client, each_phase, phase):
    assert ids(client, phase=phase) == [each_phase[phase]]


@pytest.mark.parametrize("actor, sees", [("anonymous", None), ("stranger", "theirs"), ("judge", "mine"),
                                         ("owner", "mine")])
def test_user_browses_drafts_only_of_own_organisations(client, owner, org, actor, sees):
    stranger, judge = make_user(), make_user()
    add_member(org, judge, "judge")
    drafts = {"mine": make_challenge(org, phase="draft").id,
              "theirs": make_challenge(make_organisation(stranger), phase="draft").id}
    make_challenge(org, phase="open")
    user = {"anonymous": None, "stranger": stranger, "judge": judge, "owner": owner}[actor]
    assert ids(client, user and auth_headers(user), phase="draft") == ([drafts[sees]] if sees else [])


def test_anonymous_browses_filters_match(client, org):
    other = make_organisation(make_user())
    flood = make_challenge(org, title="Predict Floods", summary="River LEVELS", tags=("hydrology", "ai")).id
    percent = make_challenge(org, title="100% fun", tags=()).id
    snake = make_challenge(other, title="snake_case names", tags=()).id
    decoy = make_challenge(other, title="snakeXcase 1000 fun", tags=("water",)).id
    make_challenge(other, phase="draft", title="Hidden floods")
    cases = [({"organisation_id": org.id}, {flood, percent}), ({"organisation_id": other.id}, {snake, decoy}),
             ({"tag": "AI"}, {flood}), ({"tag": " Hydrology "}, {flood}), ({"tag": "hydro"}, set()),
             ({"q": "FLOOD"}, {flood}), ({"q": "levels"}, {flood}), ({"q": "HYDRO"}, {flood}),
             ({"q": "100%"}, {percent}), ({"q": "%"}, {percent}), ({"q": "e_c"}, {snake}), ({"q": "_"}, {snake}),
             ({"q": "fun", "organisation_id": other.id}, {decoy}), ({"q": "water", "tag": "ai"}, set())]
    for params, expected in cases:
        found = ids(client, **params)
        assert sorted(found) == sorted(expected) and len(found) == len(set(found)), params


SORTS = {"-created_at": (lambda r: r.created_at, True), "closes_at": (lambda r: r.closes_at, False),
         "-prize_total": (lambda r: r.total, True)}
ROWS = [(5, 3, 1), (4, 2, 2), (4, 2, 1), (3, 5, 3), (2, 1, 2), (2, 4, 0), (1, 2, 5)]


def arrange(org, rows):
    made = []
    for hours, days, prizes in rows:
        created, closes = T0 - timedelta(hours=hours), T0 + timedelta(days=days)
        challenge = make_challenge(org, created_at=created, closes_at=closes, prizes=prizes)
        made.append(SimpleNamespace(id=challenge.id, created_at=created, closes_at=closes, total=sum(AMOUNTS[:prizes])))
    return made


def in_order(rows, sort):
    key, descending = SORTS[sort]
    return [r.id for r in sorted(rows, key=lambda r: (key(r), r.id), reverse=descending)]


def page(client, sort, cursor=None):
    body = ok(client.get(API, query_string={"sort": sort, "limit": 2} | ({"cursor": cursor} if cursor else {})))
    return [c["id"] for c in body["items"]], body["next_cursor"]


def walk(client, sort, cursor=None):
    seen, sizes = [], []
    for _ in range(10):
        items, cursor = page(client, sort, cursor)
        seen, sizes = seen + items, sizes + [len(items)]
        if cursor is None:
            return seen, sizes
    pytest.fail(f"no last page after {seen}")


@pytest.mark.parametrize("sort", SORTS)
def test_anonymous_walks_pages_each_once_in_order(client, org, sort):
    rows = arrange(org, ROWS)
    seen, sizes = walk(client, sort)
    assert seen == in_order(rows, sort) and sizes == [2, 2, 2, 1]


@pytest.mark.parametrize("sort", SORTS)
def test_anonymous_walks_pages_stable_under_inserts(client, org, sort):
    originals = arrange(org, ROWS)
    first, cursor = page(client, sort)
    added = arrange(org, [(0, 9, 5), (9, 1, 0), (4, 2, 1), (3, 5, 3), (2, 1, 2)])
    rest, _ = walk(client, sort, cursor)
    full = in_order(originals + added, sort)
    assert rest == full[full.index(first[-1]) + 1:]
    assert {r.id for r in originals} <= set(first + rest) and len(first + rest) == len(set(first + rest))


@pytest.mark.parametrize("made_for, used_for", [("-created_at", "closes_at"), ("closes_at", "-prize_total"),
                                                ("-prize_total", "-created_at")])
def test_anonymous_uses_cursor_of_other_sort_bad_request(client, org, made_for, used_for):
    arrange(org, ROWS)
    _, cursor = page(client, made_for)
    response = client.get(API, query_string={"sort": used_for, "limit": 2, "cursor": cursor})
    assert response.status_code == 400 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("params, status", [({"limit": 0}, 422), ({"limit": 101}, 422), ({"limit": 100}, 200),
                                            ({"cursor": "not-a-cursor"}, 400), ({"sort": "title"}, 422)])
def test_anonymous_browses_bad_paging_refused(client, org, params, status):
    arrange(org, ROWS[:3])
    assert client.get(API, query_string=params).status_code == status


@pytest.mark.parametrize("value", ["not a time", "2030-01-01T12:00:00", 12])
def test_anonymous_uses_tampered_cursor_bad_request(client, org, value):
    arrange(org, ROWS[:3])
    cursor = page(client, "-created_at")[1]
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["v"][0] = value
    tampered = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    assert client.get(API, query_string={"limit": 2, "cursor": tampered}).status_code == 400


def test_manager_drafts_scored_challenge_with_only_scoring_settings(client, time_machine):
    owner = make_user()
    organisation = make_organisation(owner)
    response = client.post("/api/v1/challenges", headers=auth_headers(owner), json={
        "organisation_id": organisation.id, "title": "T", "closes_at": "2030-02-01T12:00:00Z",
        "evaluation": "scored", "scoring": {"metric": "rmse"}})
    assert response.status_code == 201
    assert (response.json["judging"], response.json["scoring"]["metric"]) == (None, "rmse")
