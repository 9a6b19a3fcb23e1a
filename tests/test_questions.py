"""Questions, answers, clarifications and announcements through the HTTP API."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from challenges.models import Announcement, Question
from tests.factories import add_member, auth_headers, count, make_challenge, make_organisation, make_user

API = "/api/v1"
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def headers_of(user):
    return auth_headers(user) if user else {}


@pytest.fixture
def world(time_machine):
    """An organisation with an owner, a manager and a judge, an open challenge, two participants and an outsider."""
    owner, manager, judge, alice, bob, carol = (make_user() for _ in range(6))
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    challenge = make_challenge(organisation, phase="open")
    return SimpleNamespace(owner=owner, manager=manager, judge=judge, alice=alice, bob=bob, carol=carol,
                           organisation=organisation, challenge=challenge)


def ask(client, challenge_id, user, body="Is Python allowed?"):
    return client.post(f"{API}/challenges/{challenge_id}/questions", headers=headers_of(user), json={"body": body})


def answer(client, question_id, user, **payload):
    return client.post(f"{API}/questions/{question_id}/answer", headers=headers_of(user),
                       json={"body": "Yes."} | payload)


def listed(client, challenge_id, user=None, what="questions", **params):
    return ok(client.get(f"{API}/challenges/{challenge_id}/{what}", headers=headers_of(user),
                         query_string=params))


def ids(client, challenge_id, user=None, what="questions"):
    return [item["id"] for item in listed(client, challenge_id, user, what, limit=100)["items"]]


def test_outsider_asks_question_created(client, world):
    body = ok(ask(client, world.challenge.id, world.alice), 201)
    assert body | {"id": None} == {
        "id": None, "challenge_id": world.challenge.id, "body": "Is Python allowed?",
        "asker": {"id": world.alice.id, "display_name": world.alice.display_name}, "answer": None,
        "created_at": T0.isoformat(), "moderation": "visible"}
    assert listed(client, world.challenge.id, world.alice)["items"] == [body]


@pytest.mark.parametrize("phase", ["upcoming", "open", "closed"])
def test_outsider_asks_on_published_challenge_in_any_phase_created(client, world, phase):
    challenge = make_challenge(world.organisation, phase=phase)
    assert ask(client, challenge.id, world.alice).status_code == 201


@pytest.mark.parametrize("phase", ["finalised", "cancelled"])
def test_outsider_asks_on_finalised_or_cancelled_challenge_conflict(client, world, phase):
    challenge = make_challenge(world.organisation, phase=phase)
    assert ok(ask(client, challenge.id, world.alice), 409)["status"] == 409
    assert count(Question) == 0


@pytest.mark.parametrize("role", ["owner", "manager", "judge"])
def test_member_asks_question_forbidden(client, world, role):
    assert ok(ask(client, world.challenge.id, getattr(world, role)), 403)["status"] == 403
    assert count(Question) == 0


def test_member_asks_question_with_bad_body_forbidden(client, world):
    response = client.post(f"{API}/challenges/{world.challenge.id}/questions", headers=auth_headers(world.manager),
                           json={})
    assert response.status_code == 403


@pytest.mark.parametrize("payload", [{"body": "Fine?"}, {}])
def test_anonymous_asks_question_unauthorized(client, world, payload):
    response = client.post(f"{API}/challenges/{world.challenge.id}/questions", json=payload)
    assert ok(response, 401)["status"] == 401
    assert count(Question) == 0


@pytest.mark.parametrize("payload", [{"body": "Fine?"}, {}])
def test_outsider_asks_on_draft_or_missing_challenge_not_found(client, world, payload):
    hidden = make_challenge(world.organisation, phase="draft")
    for challenge_id in (hidden.id, hidden.id + 1000):
        response = client.post(f"{API}/challenges/{challenge_id}/questions", headers=auth_headers(world.alice),
                               json=payload)
        assert ok(response, 404)["status"] == 404
    assert count(Question) == 0


@pytest.mark.parametrize("payload", [
    {}, {"body": ""}, {"body": "x" * 5001}, {"body": 42}, {"body": None}, {"body": ["a"]},
    {"body": "Fine?", "urgent": True},
])
def test_outsider_asks_invalid_question_unprocessable(client, world, payload):
    response = client.post(f"{API}/challenges/{world.challenge.id}/questions", headers=auth_headers(world.alice),
                           json=payload)
    body = ok(response, 422)
    assert set(body["errors"]) == ({"urgent"} if "urgent" in payload else {"body"}), body
    assert count(Question) == 0


def test_outsider_asks_question_of_maximum_length_created(client, world):
    assert ok(ask(client, world.challenge.id, world.alice, "x" * 5000), 201)["body"] == "x" * 5000


def test_everyone_lists_questions_by_role_newest_first(client, world):
    c = world.challenge.id
    answered = ok(ask(client, c, world.alice, "Answered"), 201)["id"]
    ok(answer(client, answered, world.owner))
    alice_open = ok(ask(client, c, world.alice, "Alice's"), 201)["id"]
    bob_open = ok(ask(client, c, world.bob, "Bob's"), 201)["id"]
    assert ids(client, c) == [answered]
    assert ids(client, c, world.carol) == [answered]
    assert ids(client, c, world.alice) == [alice_open, answered]
    assert ids(client, c, world.bob) == [bob_open, answered]
    for member in (world.owner, world.manager, world.judge):
        assert ids(client, c, member) == [bob_open, alice_open, answered]


def test_member_pages_questions_with_cursor(client, world):
    asked = [ok(ask(client, world.challenge.id, world.alice, f"Q{i}"), 201)["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = listed(client, world.challenge.id, world.owner, **params)
        seen += [item["id"] for item in page["items"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (asked[::-1], 3)


@pytest.mark.parametrize("params, status", [({"limit": 0}, 422), ({"limit": 101}, 422), ({"cursor": "nope"}, 400)])
def test_anonymous_lists_questions_bad_page_rejected(client, world, params, status):
    response = client.get(f"{API}/challenges/{world.challenge.id}/questions", query_string=params)
    assert ok(response, status)["status"] == status


@pytest.mark.parametrize("what", ["questions", "clarifications", "announcements"])
def test_outsider_lists_on_draft_not_found(client, world, what):
    hidden = make_challenge(world.organisation, phase="draft")
    for user in (None, world.alice):
        response = client.get(f"{API}/challenges/{hidden.id}/{what}", headers=headers_of(user))
        assert ok(response, 404)["status"] == 404
    assert listed(client, hidden.id, world.judge, what) == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("role", ["owner", "manager", "admin"])
def test_manager_answers_question_ok(client, world, role):
    actor = make_user(is_admin=True) if role == "admin" else getattr(world, role)
    question = ok(ask(client, world.challenge.id, world.alice), 201)
    body = ok(answer(client, question["id"], actor, body="Any language."))
    assert body == question | {"answer": {
        "body": "Any language.", "official": False, "answered_at": T0.isoformat(),
        "answerer": {"id": actor.id, "display_name": actor.display_name}, "moderation": "visible"}}
    assert listed(client, world.challenge.id)["items"] == [body]


def test_judge_answers_question_forbidden_unchanged(client, world):
    question = ok(ask(client, world.challenge.id, world.alice), 201)
    assert ok(answer(client, question["id"], world.judge), 403)["status"] == 403
    assert listed(client, world.challenge.id, world.alice)["items"] == [question]


def test_participant_answers_visible_question_forbidden_hidden_one_not_found(client, world):
    own = ok(ask(client, world.challenge.id, world.alice), 201)["id"]
    others_open = ok(ask(client, world.challenge.id, world.bob), 201)["id"]
    others_answered = ok(ask(client, world.challenge.id, world.bob), 201)["id"]
    ok(answer(client, others_answered, world.owner, body="Original"))
    assert answer(client, own, world.alice).status_code == 403
    assert answer(client, others_answered, world.alice).status_code == 403
    assert answer(client, others_open, world.alice).status_code == 404
    assert answer(client, others_open + 1000, world.owner).status_code == 404
    assert answer(client, own, None).status_code == 401
    items = {q["id"]: q["answer"] for q in listed(client, world.challenge.id, world.owner)["items"]}
    assert (items[own], items[others_open], items[others_answered]["body"]) == (None, None, "Original")


def test_participant_answers_hidden_question_with_bad_body_not_found(client, world):
    others_open = ok(ask(client, world.challenge.id, world.bob), 201)["id"]
    response = client.post(f"{API}/questions/{others_open}/answer", headers=auth_headers(world.alice), json={})
    assert response.status_code == 404


def test_manager_answers_again_replaces_answer(client, world, time_machine):
    question = ok(ask(client, world.challenge.id, world.alice), 201)["id"]
    ok(answer(client, question, world.owner, body="First", official=True))
    time_machine.travel(hours=1)
    body = ok(answer(client, question, world.manager, body="Second"))
    assert body["answer"] == {"body": "Second", "official": False, "answered_at": (T0 + timedelta(hours=1)).isoformat(),
                              "answerer": {"id": world.manager.id, "display_name": world.manager.display_name},
                              "moderation": "visible"}
    assert [q["answer"]["body"] for q in listed(client, world.challenge.id)["items"]] == ["Second"]
    assert ids(client, world.challenge.id, what="clarifications") == []
    assert count(Question) == 1


def test_manager_answers_officially_listed_as_clarification(client, world):
    c = world.challenge.id
    official = ok(ask(client, c, world.alice, "Deadline timezone?"), 201)["id"]
    plain = ok(ask(client, c, world.bob, "Hello?"), 201)["id"]
    later = ok(ask(client, c, world.bob, "Team size?"), 201)["id"]
    clarification = ok(answer(client, official, world.owner, body="UTC.", official=True))
    ok(answer(client, plain, world.owner, body="Hi."))
    ok(answer(client, later, world.manager, body="Solo.", official=True))
    for user in (None, world.carol, world.owner):
        assert ids(client, c, user, "clarifications") == [later, official]
    assert listed(client, c, what="clarifications")["items"][1] == clarification
    assert clarification["answer"]["official"] is True


@pytest.mark.parametrize("payload, field", [
    ({"official": "yes"}, "official"), ({"official": None}, "official"), ({"body": ""}, "body"),
    ({"body": None}, "body"), ({"body": "x" * 10001}, "body"), ({"pinned": True}, "pinned"),
])
def test_manager_answers_invalid_unprocessable_unchanged(client, world, payload, field):
    question = ok(ask(client, world.challenge.id, world.alice), 201)
    body = ok(answer(client, question["id"], world.owner, **payload), 422)
    assert list(body["errors"]) == [field], body
    assert listed(client, world.challenge.id, world.owner)["items"] == [question]


def test_manager_answers_without_body_unprocessable(client, world):
    question = ok(ask(client, world.challenge.id, world.alice), 201)["id"]
    response = client.post(f"{API}/questions/{question}/answer", headers=auth_headers(world.owner),
                           json={"official": True})
    assert list(ok(response, 422)["errors"]) == ["body"]


def post_announcement(client, challenge_id, user, title="Office hours", body="Thursday at 5 pm UTC."):
    return client.post(f"{API}/challenges/{challenge_id}/announcements", headers=headers_of(user),
                       json={"title": title, "body": body})


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_manager_posts_announcement_created(client, world, role):
    actor = getattr(world, role)
    body = ok(post_announcement(client, world.challenge.id, actor), 201)
    assert body | {"id": None} == {
        "id": None, "challenge_id": world.challenge.id, "kind": "message", "title": "Office hours",
        "body": "Thursday at 5 pm UTC.", "author_id": actor.id, "created_at": T0.isoformat()}
    assert listed(client, world.challenge.id, what="announcements") == {"items": [body], "next_cursor": None}


@pytest.mark.parametrize("role, status", [("judge", 403), ("alice", 403), (None, 401)])
def test_non_manager_posts_announcement_refused(client, world, role, status):
    response = post_announcement(client, world.challenge.id, role and getattr(world, role))
    assert ok(response, status)["status"] == status
    assert count(Announcement) == 0


def test_judge_posts_announcement_with_bad_body_forbidden(client, world):
    response = client.post(f"{API}/challenges/{world.challenge.id}/announcements",
                           headers=auth_headers(world.judge), json={})
    assert response.status_code == 403


def test_owner_posts_announcement_on_draft_conflict(client, world):
    hidden = make_challenge(world.organisation, phase="draft")
    assert ok(post_announcement(client, hidden.id, world.owner), 409)["status"] == 409
    assert post_announcement(client, hidden.id, world.alice).status_code == 404
    assert count(Announcement) == 0


@pytest.mark.parametrize("payload, field", [
    ({"body": "Text"}, "title"), ({"title": "   ", "body": "Text"}, "title"), ({"title": "x" * 201, "body": "T"}, "title"),
    ({"title": "T"}, "body"), ({"title": "T", "body": ""}, "body"), ({"title": "T", "body": 5}, "body"),
    ({"title": "T", "body": "B", "kind": "cancelled"}, "kind"),
])
def test_owner_posts_invalid_announcement_unprocessable(client, world, payload, field):
    response = client.post(f"{API}/challenges/{world.challenge.id}/announcements",
                           headers=auth_headers(world.owner), json=payload)
    assert list(ok(response, 422)["errors"]) == [field]
    assert count(Announcement) == 0


def test_anyone_lists_announcements_newest_first_paged(client, world, time_machine):
    posted = []
    for i in range(3):
        posted.append(ok(post_announcement(client, world.challenge.id, world.owner, title=f"News {i}"), 201))
        time_machine.travel(minutes=1)
    other = make_challenge(world.organisation, phase="open")
    ok(post_announcement(client, other.id, world.owner, title="Elsewhere"), 201)
    for user in (None, world.alice, world.judge):
        assert listed(client, world.challenge.id, user, "announcements")["items"] == posted[::-1]
    first = listed(client, world.challenge.id, what="announcements", limit=2)
    second = listed(client, world.challenge.id, what="announcements", limit=2, cursor=first["next_cursor"])
    assert [a["title"] for a in first["items"] + second["items"]] == ["News 2", "News 1", "News 0"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("phase", ["upcoming", "open"])
def test_owner_extends_deadline_announces_it(client, world, phase):
    challenge = make_challenge(world.organisation, phase=phase)
    later = (challenge.closes_at + timedelta(days=3)).isoformat()
    ok(client.patch(f"{API}/challenges/{challenge.id}", headers=auth_headers(world.owner), json={"closes_at": later}))
    items = listed(client, challenge.id, what="announcements")["items"]
    assert [(a["kind"], a["author_id"], a["created_at"]) for a in items] == [
        ("deadline_extended", world.owner.id, T0.isoformat())]
    assert later in items[0]["body"]


def test_owner_amends_without_moving_deadline_announces_nothing(client, world):
    same = world.challenge.closes_at.isoformat()
    ok(client.patch(f"{API}/challenges/{world.challenge.id}", headers=auth_headers(world.owner),
                    json={"title": "Sharper", "closes_at": same}))
    assert listed(client, world.challenge.id, what="announcements")["items"] == []


def test_owner_edits_draft_deadline_announces_nothing(client, world):
    hidden = make_challenge(world.organisation, phase="draft")
    later = (hidden.closes_at + timedelta(days=3)).isoformat()
    ok(client.patch(f"{API}/challenges/{hidden.id}", headers=auth_headers(world.owner), json={"closes_at": later}))
    assert count(Announcement) == 0


@pytest.mark.parametrize("phase", ["upcoming", "open", "closed"])
def test_owner_cancels_published_challenge_announces_it(client, world, phase):
    challenge = make_challenge(world.organisation, phase=phase)
    ok(client.post(f"{API}/challenges/{challenge.id}/cancel", headers=auth_headers(world.manager),
                   json={"reason": "Funding fell through"}))
    items = listed(client, challenge.id, world.alice, "announcements")["items"]
    assert [(a["kind"], a["body"], a["author_id"]) for a in items] == [
        ("cancelled", "Funding fell through", world.manager.id)]


def test_owner_cancels_draft_announces_nothing(client, world):
    hidden = make_challenge(world.organisation, phase="draft")
    ok(client.post(f"{API}/challenges/{hidden.id}/cancel", headers=auth_headers(world.owner),
                   json={"reason": "Never mind"}))
    assert listed(client, hidden.id, world.owner, "announcements")["items"] == []
    assert client.get(f"{API}/challenges/{hidden.id}/announcements").status_code == 404
    assert count(Announcement) == 0


# Blind judging


BLIND = {"blind": True, "normalise": False, "allow_unassigned": True, "disagreement_threshold": 0.25}


def askers(client, challenge_id, user=None):
    return [item["asker"] for item in listed(client, challenge_id, user, limit=100)["items"]]


def test_blind_judge_and_public_learn_no_asker_until_finalisation(client, world, time_machine):
    challenge = make_challenge(world.organisation, phase="open", judging=BLIND)
    alice = {"id": world.alice.id, "display_name": world.alice.display_name}
    question = ok(ask(client, challenge.id, world.alice), 201)
    assert question["asker"] == alice
    assert ok(answer(client, question["id"], world.manager, official=True))["asker"] == alice
    for reader in (world.judge, world.bob, None):
        assert askers(client, challenge.id, reader) == [None]
        assert [item["asker"] for item in listed(client, challenge.id, reader, "clarifications")["items"]] == [None]
    assert askers(client, challenge.id, world.alice) == askers(client, challenge.id, world.owner) == [alice]
    assert askers(client, challenge.id, world.manager) == [alice]
    time_machine.travel(days=8)
    ok(client.post(f"{API}/challenges/{challenge.id}/finalise", headers=auth_headers(world.owner)))
    assert askers(client, challenge.id, world.judge) == askers(client, challenge.id) == [alice]


def test_judge_of_open_judging_sees_asker(client, world):
    question = ok(ask(client, world.challenge.id, world.alice), 201)
    ok(answer(client, question["id"], world.manager))
    alice = {"id": world.alice.id, "display_name": world.alice.display_name}
    assert askers(client, world.challenge.id, world.judge) == askers(client, world.challenge.id) == [alice]
