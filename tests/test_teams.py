"""Teams through the HTTP API: forming, inviting, joining, leaving, merging, the split, and a team submitting as one."""
import csv
import io
import json
from datetime import timedelta
from functools import partial
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select, update

from challenges.extensions import db
from challenges.models import (
    Challenge, Evaluation, EvaluationStatus, Invitation, Notification, Submission, SubmissionStatus, TeamMember,
)
from challenges.models.scoring import EvaluationFault
from tests.factories import add_member, auth_headers, make_challenge, make_organisation, make_submission, make_user
from tests.test_notifications import smtp  # noqa: F401  (a fixture)
from tests.threads import race

API = "/api/v1"
ENTRY = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}
SCORING = {"metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2}


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """Every test runs on a clock it moves itself."""
    return time_machine


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json


def arena(phase="open", **fields):
    """An owner, their organisation and a challenge allowing teams of 3 (limit 3 submissions)."""
    owner = make_user()
    org = make_organisation(owner)
    return owner, org, make_challenge(org, phase, **{"max_team_size": 3} | fields)


def form(client, captain, challenge, name="Crew"):
    return client.post(f"{API}/challenges/{challenge.id}/teams", headers=auth_headers(captain), json={"name": name})


def invite(client, captain, team_id, **body):
    return client.post(f"{API}/teams/{team_id}/invitations", headers=auth_headers(captain), json=body)


def answer(client, user, invitation_id, verb="accept"):
    return client.post(f"{API}/invitations/{invitation_id}/{verb}", headers=auth_headers(user))


def team_of(client, challenge, captain, *members, name="Crew"):
    """A team formed by the captain that the members joined; its id."""
    team_id = ok(form(client, captain, challenge, name), 201)["id"]
    for member in members:
        ok(answer(client, member, ok(invite(client, captain, team_id, user_id=member.id), 201)["id"]))
    return team_id


def get_team(client, user, team_id):
    return client.get(f"{API}/teams/{team_id}", headers=auth_headers(user) if user else {})


def submit(client, user, challenge):
    return client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(user), json=ENTRY)


def read_submission(client, user, submission_id):
    return client.get(f"{API}/submissions/{submission_id}", headers=auth_headers(user))


def leave(client, actor, team_id, user):
    return client.delete(f"{API}/teams/{team_id}/members/{user.id}", headers=auth_headers(actor))


def merge(client, captain, team_id, other_id):
    return client.post(f"{API}/teams/{team_id}/merge", headers=auth_headers(captain), json={"team_id": other_id})


def split(client, captain, team_id, weights):
    return client.put(f"{API}/teams/{team_id}/split", headers=auth_headers(captain), json={"weights": weights})


def audit_actions(client, owner, org):
    items = ok(client.get(f"{API}/organisations/{org.id}/audit?limit=100", headers=auth_headers(owner)))["items"]
    return [(e["action"], e["object_type"], e["details"].get("user_id")) for e in items]


def member_ids(team):
    return [m["user_id"] for m in team["members"]]


def notes(client, user, kind):
    """The data of the user's notifications of this kind, newest first."""
    items = ok(client.get(f"{API}/notifications?limit=100", headers=auth_headers(user)))["items"]
    return [n["data"] for n in items if n["kind"] == kind]


def same_problem(responses, status):
    """The one problem+json body that every response answered, with this status."""
    bodies = {json.dumps(problem(response, status), sort_keys=True) for response in responses}
    assert len(bodies) == 1, bodies
    return json.loads(bodies.pop())


# Forming a team

def test_participant_creates_team_captains_it_with_own_submissions(client):
    _, _, challenge = arena()
    captain = make_user()
    entry = make_submission(challenge, captain)
    body = ok(form(client, captain, challenge, "  Crew  "), 201)
    assert body == {"id": body["id"], "challenge_id": challenge.id, "name": "Crew", "moderation": "visible",
                    "captain_id": captain.id,
                    "members": [{"user_id": captain.id, "display_name": captain.display_name,
                                 "joined_at": "2030-01-01T12:00:00+00:00"}],
                    "split": [{"user_id": captain.id, "weight": 1, "share": 1.0}],
                    "created_at": "2030-01-01T12:00:00+00:00"}
    assert ok(read_submission(client, captain, entry.id))["team"] == {"id": body["id"], "name": "Crew"}


def test_participant_creates_team_conflict(client):
    _, _, challenge = arena()
    captain, member = make_user(), make_user()
    team_of(client, challenge, captain, member, name="Crew")
    problem(form(client, captain, challenge, "Second"), 409)  # already in a team
    problem(form(client, member, challenge, "Third"), 409)
    problem(form(client, make_user(), challenge, " Crew "), 409)  # the name is taken
    problem(form(client, make_user(), arena(max_team_size=1)[2]), 409)  # a challenge for individuals
    ok(form(client, make_user(), arena()[2], "Crew"), 201)  # names are unique per challenge only


@pytest.mark.parametrize("who, phase, status", [
    ("owner", "open", 403), ("judge", "open", 403), ("anonymous", "open", 401), ("outsider", "draft", 404),
    ("outsider", "closed", 409), ("outsider", "finalised", 409), ("outsider", "cancelled", 409),
])
def test_user_creates_team_refused(client, who, phase, status):
    owner, org, challenge = arena(phase)
    actor = {"owner": owner, "judge": make_user(), "outsider": make_user(), "anonymous": None}[who]
    if who == "judge":
        add_member(org, actor, "judge")
    headers = auth_headers(actor) if actor else {}
    problem(client.post(f"{API}/challenges/{challenge.id}/teams", headers=headers, json={"name": "Crew"}), status)


@pytest.mark.parametrize("body, field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 101}, "name"),
    ({"name": None}, "name"), ({"name": 5}, "name"), ({"name": "Crew", "colour": "red"}, "colour"),
])
def test_participant_creates_team_with_bad_body_unprocessable(client, body, field):
    _, _, challenge = arena()
    response = client.post(f"{API}/challenges/{challenge.id}/teams", headers=auth_headers(make_user()), json=body)
    assert field in problem(response, 422)["errors"]


def test_participant_lists_own_team_member_lists_all(client):
    owner, _, challenge = arena()
    alice, bob = make_user(), make_user()
    mine, theirs = team_of(client, challenge, alice, name="A"), team_of(client, challenge, bob, name="B")
    listing = partial(client.get, f"{API}/challenges/{challenge.id}/teams")
    assert [t["id"] for t in ok(listing(headers=auth_headers(alice)))["items"]] == [mine]
    assert [t["id"] for t in ok(listing(headers=auth_headers(make_user())))["items"]] == []
    assert [t["id"] for t in ok(listing(headers=auth_headers(owner)))["items"]] == [mine, theirs]


# Seeing a team

@pytest.mark.parametrize("who, status", [
    ("member", 200), ("invitee", 200), ("owner", 200), ("manager", 200), ("judge", 200), ("admin", 200),
    ("participant", 404), ("declined", 404), ("anonymous", 401),
])
def test_user_reads_team(client, who, status):
    owner, org, challenge = arena()
    captain, member, invitee, declined = make_user(), make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    ok(invite(client, captain, team_id, user_id=invitee.id), 201)
    ok(answer(client, declined, ok(invite(client, captain, team_id, user_id=declined.id), 201)["id"], "decline"))
    others = {role: make_user() for role in ("manager", "judge")}
    for role, user in others.items():
        add_member(org, user, role)
    actor = {"member": member, "invitee": invitee, "owner": owner, "admin": make_user(is_admin=True),
             "participant": make_user(), "declined": declined, "anonymous": None, **others}[who]
    response = get_team(client, actor, team_id)
    if status == 200:
        assert member_ids(ok(response)) == [captain.id, member.id]
    else:
        problem(response, status)


# Invitations

def test_captain_invites_by_id_and_email_invitee_sees_and_is_notified(client, time_machine):
    _, _, challenge = arena()
    captain, by_id, by_email = make_user(), make_user(), make_user(email="case.test@example.com")
    team_id = team_of(client, challenge, captain)
    first = ok(invite(client, captain, team_id, user_id=by_id.id), 201)
    assert first == {"id": first["id"], "team_id": team_id, "user_id": by_id.id, "invited_by": captain.id,
                     "status": "pending", "created_at": "2030-01-01T12:00:00+00:00", "answered_at": None}
    assert ok(invite(client, captain, team_id, email="CASE.TEST@EXAMPLE.COM"), 201)["user_id"] == by_email.id
    time_machine.travel(minutes=1)
    _, _, later = arena()
    other_captain = make_user()
    newer = ok(invite(client, other_captain, team_of(client, later, other_captain), user_id=by_id.id), 201)
    assert [i["id"] for i in ok(client.get(f"{API}/invitations", headers=auth_headers(by_id)))["items"]] == [
        newer["id"], first["id"]]
    [note] = [n for n in ok(client.get(f"{API}/notifications", headers=auth_headers(by_email)))["items"]
              if n["kind"] == "team.invited"]
    assert note["data"]["team"] == {"id": team_id, "name": "Crew"}
    assert note["data"]["challenge"]["id"] == challenge.id and note["data"]["invitation_id"]


@pytest.mark.parametrize("body, field", [
    (lambda u: {"email": "nobody@example.com"}, "email"),
    (lambda u: {"user_id": 999999}, "user_id"),
    (lambda u: {"user_id": u.judge.id}, "user_id"),
    (lambda u: {"email": u.judge.email}, "email"),
    (lambda u: {"user_id": u.invitee.id, "email": u.invitee.email}, "user_id"),
    (lambda u: {}, "user_id"),
    (lambda u: {"user_id": str(u.invitee.id)}, "user_id"),
    (lambda u: {"email": "not an email"}, "email"),
    (lambda u: {"user_id": u.invitee.id, "role": "captain"}, "role"),
])
def test_captain_invites_with_bad_body_unprocessable(client, body, field):
    _, org, challenge = arena()
    captain, invitee, judge = make_user(), make_user(), make_user()
    add_member(org, judge, "judge")
    team_id = team_of(client, challenge, captain)
    response = invite(client, captain, team_id, **body(SimpleNamespace(judge=judge, invitee=invitee)))
    assert field in problem(response, 422)["errors"]
    assert ok(client.get(f"{API}/invitations", headers=auth_headers(invitee)))["items"] == []


@pytest.mark.parametrize("key", ["user_id", "email"])
@pytest.mark.parametrize("phase, status", [("open", 422), ("closed", 409)])
def test_captain_invites_whoever_cannot_join_gets_one_answer_nothing_created(client, app, time_machine, key, phase,
                                                                            status):
    owner, org, challenge = arena()
    captain, judge, eligible = make_user(), make_user(), make_user()
    add_member(org, judge, "judge")
    team_id = team_of(client, challenge, captain)
    suspended = make_user(suspended_at=time_machine.now)
    unknown = SimpleNamespace(id=999999, email="nobody@example.com")
    named = [unknown, owner, judge, make_user(is_admin=True), suspended] + ([eligible] if phase == "closed" else [])
    time_machine.travel(days=8 if phase == "closed" else 0)
    body = same_problem([invite(client, captain, team_id, **{key: user.id if key == "user_id" else user.email})
                         for user in named], status)
    assert key in body["errors"] if status == 422 else "closed" in body["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Invitation.team_id == team_id)) == 0
        assert db.session.scalar(select(func.count()).where(
            Notification.user_id.in_([user.id for user in named[1:]]))) == 0


def test_non_captain_invites_refused(client):
    _, _, challenge = arena()
    captain, member, invitee = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    problem(invite(client, member, team_id, user_id=invitee.id), 403)
    problem(invite(client, make_user(), team_id, user_id=invitee.id), 404)
    problem(client.post(f"{API}/teams/{team_id}/invitations", json={"user_id": invitee.id}), 401)


def test_captain_invites_twice_or_a_member_conflict(client):
    _, _, challenge = arena()
    captain, member, invitee = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    ok(invite(client, captain, team_id, user_id=invitee.id), 201)
    problem(invite(client, captain, team_id, email=invitee.email), 409)
    problem(invite(client, captain, team_id, user_id=member.id), 409)
    problem(invite(client, captain, team_id, user_id=captain.id), 409)


def test_invitee_accepts_and_declines(client, time_machine):
    _, _, challenge = arena()
    captain, alice, bob = make_user(), make_user(), make_user()
    solo = make_submission(challenge, alice)
    team_id = team_of(client, challenge, captain)
    to_alice = ok(invite(client, captain, team_id, user_id=alice.id), 201)["id"]
    to_bob = ok(invite(client, captain, team_id, user_id=bob.id), 201)["id"]
    for stranger in (bob, captain, make_user()):
        problem(answer(client, stranger, to_alice), 404)
        problem(answer(client, stranger, to_alice, "decline"), 404)
    time_machine.travel(hours=1)
    accepted = ok(answer(client, alice, to_alice))
    assert (accepted["status"], accepted["answered_at"]) == ("accepted", "2030-01-01T13:00:00+00:00")
    assert ok(answer(client, bob, to_bob, "decline"))["status"] == "declined"
    for user, invitation_id in ((alice, to_alice), (bob, to_bob)):
        problem(answer(client, user, invitation_id), 409)
        problem(answer(client, user, invitation_id, "decline"), 409)
        assert ok(client.get(f"{API}/invitations", headers=auth_headers(user)))["items"] == []
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id, alice.id]
    assert ok(read_submission(client, captain, solo.id))["team"] == {"id": team_id, "name": "Crew"}  # moved in


def test_invitee_in_a_team_or_invited_to_a_full_one_accepts_conflict(client):
    _, _, challenge = arena(max_team_size=2)
    alice, bob, carol, dave = make_user(), make_user(), make_user(), make_user()
    team_of(client, challenge, alice, name="A")
    team_id = team_of(client, challenge, bob, name="B")
    invitations = [ok(invite(client, bob, team_id, user_id=u.id), 201)["id"] for u in (alice, carol, dave)]
    problem(answer(client, alice, invitations[0]), 409)  # already in team A
    ok(answer(client, carol, invitations[1]))
    problem(answer(client, dave, invitations[2]), 409)  # B is full
    assert member_ids(ok(get_team(client, bob, team_id))) == [bob.id, carol.id]


def test_invitee_with_too_many_submissions_accepts_conflict_unchanged(client):
    _, _, challenge = arena(max_submissions_per_participant=3)
    captain, invitee = make_user(), make_user()
    make_submission(challenge, captain), make_submission(challenge, captain)
    solo = [make_submission(challenge, invitee), make_submission(challenge, invitee)]
    team_id = team_of(client, challenge, captain)
    invitation = ok(invite(client, captain, team_id, user_id=invitee.id), 201)["id"]
    problem(answer(client, invitee, invitation), 409)
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id]
    assert [ok(read_submission(client, invitee, s.id))["team"] for s in solo] == [None, None]
    assert [i["status"] for i in ok(client.get(f"{API}/invitations", headers=auth_headers(invitee)))["items"]] == [
        "pending"]


def test_invitee_with_failed_evaluation_accepts_within_limit_ok(client, app):
    _, _, challenge = arena(max_submissions_per_participant=2, evaluation=Evaluation.SCORED, judging=None,
                            scoring=SCORING)
    captain, invitee = make_user(), make_user()
    make_submission(challenge, captain)
    failed, _ = make_submission(challenge, invitee), make_submission(challenge, invitee)
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.id == failed.id)
                           .values(evaluation_status=EvaluationStatus.FAILED, evaluation_fault=EvaluationFault.OURS))
        db.session.commit()
    quota = ok(client.get(f"{API}/challenges/{challenge.id}/quota", headers=auth_headers(invitee)))
    assert quota["remaining_total"] == 1  # the failed one does not count
    team_id = team_of(client, challenge, captain)
    ok(answer(client, invitee, ok(invite(client, captain, team_id, user_id=invitee.id), 201)["id"]))


def test_teammate_sees_quota_of_the_team(client):
    _, _, challenge = arena(max_submissions_per_participant=3, evaluation=Evaluation.SCORED, judging=None,
                            scoring=SCORING)
    captain, member = make_user(), make_user()
    make_submission(challenge, captain), make_submission(challenge, member)
    team_of(client, challenge, captain, member)
    quota = ok(client.get(f"{API}/challenges/{challenge.id}/quota", headers=auth_headers(member)))
    assert (quota["remaining_total"], quota["remaining_today"]) == (1, 3)


# A team submits as one

def test_teammate_reads_edits_and_withdraws_teammates_submission(client):
    _, _, challenge = arena()
    captain, member, outsider = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    entry = ok(submit(client, captain, challenge), 201)
    assert entry["team"] == {"id": team_id, "name": "Crew"}
    assert ok(read_submission(client, member, entry["id"]))["participant"]["id"] == captain.id
    kinds = [n["kind"] for n in ok(client.get(f"{API}/notifications", headers=auth_headers(member)))["items"]]
    assert "submission.received" in kinds
    patch = partial(client.patch, f"{API}/submissions/{entry['id']}", json={"title": "Ours"})
    problem(read_submission(client, outsider, entry["id"]), 404)
    problem(patch(headers=auth_headers(outsider)), 404)
    problem(client.post(f"{API}/submissions/{entry['id']}/withdraw", headers=auth_headers(outsider)), 404)
    edited = ok(patch(headers=auth_headers(member)))
    assert (edited["title"], edited["revision"]) == ("Ours", 2)
    withdrawn = ok(client.post(f"{API}/submissions/{entry['id']}/withdraw", headers=auth_headers(member)))
    assert withdrawn["status"] == "withdrawn"


def test_team_submissions_count_against_one_limit(client):
    _, _, challenge = arena(max_submissions_per_participant=2)
    captain, member = make_user(), make_user()
    team_of(client, challenge, captain, member)
    first, second = ok(submit(client, captain, challenge), 201), ok(submit(client, member, challenge), 201)
    problem(submit(client, captain, challenge), 409)
    problem(submit(client, member, challenge), 409)
    ok(client.post(f"{API}/submissions/{first['id']}/withdraw", headers=auth_headers(member)))
    ok(submit(client, member, challenge), 201)
    listing = {user.id: [s["id"] for s in ok(client.get(f"{API}/challenges/{challenge.id}/submissions",
                                                        headers=auth_headers(user)))["items"]]
               for user in (captain, member)}
    assert listing[captain.id] == listing[member.id] and len(listing[member.id]) == 3
    assert second["id"] in listing[captain.id]


def test_owner_exports_team_column(client):
    owner, _, challenge = arena()
    captain, loner = make_user(), make_user()
    team_of(client, challenge, captain, name="Crew")
    ok(submit(client, captain, challenge), 201), ok(submit(client, loner, challenge), 201)
    response = client.get(f"{API}/challenges/{challenge.id}/export.csv", headers=auth_headers(owner))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["participant"], r["team"]) for r in rows] == [(captain.display_name, "Crew"), (loner.display_name, "")]


# Leaving and removing

def test_member_leaves_and_captain_removes_audited(client):
    owner, org, challenge = arena()
    captain, leaver, removed = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, leaver, removed)
    assert leave(client, leaver, team_id, leaver).status_code == 204
    assert leave(client, captain, team_id, removed).status_code == 204
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id]
    problem(get_team(client, leaver, team_id), 404)
    actions = audit_actions(client, owner, org)
    assert ("team.left", "team", leaver.id) in actions and ("team.member_removed", "team", removed.id) in actions


def test_member_removes_another_forbidden(client):
    _, _, challenge = arena()
    captain, alice, bob = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, alice, bob)
    problem(leave(client, alice, team_id, bob), 403)
    problem(leave(client, alice, team_id, captain), 403)
    problem(leave(client, make_user(), team_id, alice), 404)
    problem(client.delete(f"{API}/teams/{team_id}/members/{alice.id}"), 401)
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id, alice.id, bob.id]


def test_captain_leaves_longest_standing_member_captains(client, time_machine):
    _, _, challenge = arena()
    captain, junior, senior = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain)
    for user in (senior, junior):  # the user with the higher id joins first: seniority, not id, decides
        time_machine.travel(minutes=5)
        ok(answer(client, user, ok(invite(client, captain, team_id, user_id=user.id), 201)["id"]))
    assert leave(client, captain, team_id, captain).status_code == 204
    team = ok(get_team(client, senior, team_id))
    assert (team["captain_id"], member_ids(team)) == (senior.id, [senior.id, junior.id])
    ok(invite(client, senior, team_id, user_id=make_user().id), 201)
    problem(invite(client, junior, team_id, user_id=make_user().id), 403)


def test_last_member_leaves_team_dissolved(client):
    owner, org, challenge = arena()
    captain, member = make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    entries = [ok(submit(client, user, challenge), 201)["id"] for user in (captain, member)]
    assert leave(client, captain, team_id, member).status_code == 204
    assert leave(client, captain, team_id, captain).status_code == 204
    problem(get_team(client, owner, team_id), 404)
    problem(get_team(client, captain, team_id), 404)
    assert [ok(read_submission(client, owner, e))["team"] for e in entries] == [None, None]
    assert ("team.dissolved", "team", None) in audit_actions(client, owner, org)
    ok(form(client, member, challenge, "Crew"), 201)  # the name is free again


def test_member_leaves_after_deadline_conflict(client, time_machine):
    _, _, challenge = arena()
    captain, member = make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    time_machine.travel(days=8)
    problem(leave(client, member, team_id, member), 409)
    problem(leave(client, captain, team_id, member), 409)
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id, member.id]


def test_leaver_gets_submissions_back_on_dissolution_within_limit(client):
    _, _, challenge = arena(max_submissions_per_participant=2)
    leaver, last = make_user(), make_user()
    team_id = team_of(client, challenge, leaver, last)
    ok(submit(client, leaver, challenge), 201), ok(submit(client, leaver, challenge), 201)
    assert leave(client, leaver, team_id, leaver).status_code == 204
    submit(client, leaver, challenge), submit(client, leaver, challenge)  # alone again, whatever they answer
    assert leave(client, last, team_id, last).status_code == 204
    items = ok(client.get(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(leaver)))["items"]
    assert len([s for s in items if s["status"] == "submitted" and s["team"] is None]) <= 2


# Merging

def test_captains_merge_first_team_survives(client):
    _, _, challenge = arena(max_team_size=4)
    a, a2, b, b2 = make_user(), make_user(), make_user(), make_user()
    first, second = team_of(client, challenge, a, a2, name="A"), team_of(client, challenge, b, b2, name="B")
    ok(split(client, a, first, {str(a.id): 3, str(a2.id): 1}))
    entries = [ok(submit(client, user, challenge), 201)["id"] for user in (a2, b2)]
    assert ok(merge(client, a, first, second), 202) == ok(get_team(client, a, first))
    merged = ok(merge(client, b, second, first))
    assert (merged["id"], merged["name"], merged["captain_id"]) == (first, "A", a.id)
    assert sorted(member_ids(merged)) == sorted(u.id for u in (a, a2, b, b2))
    assert [(s["weight"], s["share"]) for s in merged["split"]] == [(1, 0.25)] * 4
    assert [ok(read_submission(client, b, e))["team"] for e in entries] == [{"id": first, "name": "A"}] * 2
    problem(get_team(client, b, second), 404)
    assert ok(get_team(client, b2, first))["id"] == first


@pytest.mark.parametrize("case", ["merge_deadline", "closed", "size", "submissions"])
def test_captains_merge_refused_conflict(client, time_machine, case):
    _, _, challenge = arena(max_team_size=3 if case == "size" else 4, max_submissions_per_participant=3,
                            team_merge_deadline=time_machine.now + timedelta(days=1))
    a, a2, b, b2 = make_user(), make_user(), make_user(), make_user()
    first, second = team_of(client, challenge, a, a2, name="A"), team_of(client, challenge, b, b2, name="B")
    if case == "submissions":
        for user in (a, a2, b, b2):
            ok(submit(client, user, challenge), 201)
    time_machine.travel(days={"merge_deadline": 2, "closed": 8}.get(case, 0))
    if case in ("size", "submissions"):  # the first captain's request tells nothing of the other team
        ok(merge(client, a, first, second), 202)
    else:
        problem(merge(client, a, first, second), 409)
    detail = problem(merge(client, b, second, first), 409)["detail"]
    assert {"merge_deadline": "merge deadline", "closed": "closed", "size": "3 members", "submissions": "(4)"}[case] \
        in detail
    assert [len(ok(get_team(client, u, t))["members"]) for u, t in ((a, first), (b, second))] == [2, 2]


def test_captain_merges_with_own_team_or_bad_body_unprocessable(client):
    _, _, challenge = arena()
    captain = make_user()
    team_id = team_of(client, challenge, captain)
    assert "team_id" in problem(merge(client, captain, team_id, team_id), 422)["errors"]
    for body in ({}, {"team_id": "2"}, {"team_id": 2, "note": "x"}, {"team_id": 0}, {"team_id": 2 ** 31}):
        problem(client.post(f"{API}/teams/{team_id}/merge", headers=auth_headers(captain), json=body), 422)


def test_captain_asking_to_merge_gets_one_answer_whatever_the_id_names(client):
    _, _, challenge = arena(max_team_size=2, max_submissions_per_participant=1)
    a, b, b2 = make_user(), make_user(), make_user()
    first = team_of(client, challenge, a, name="A")
    ok(submit(client, a, challenge), 201)
    hidden = team_of(client, challenge, b, b2, name="Hidden")  # too big for a merge, and its submission too many
    ok(submit(client, b2, challenge), 201)
    foreign = team_of(client, arena()[2], make_user(), name="Foreign")
    mine = ok(get_team(client, a, first))
    responses = [merge(client, a, first, other) for other in (hidden, foreign, 999999)]
    assert [ok(r, 202) for r in responses] == [mine] * 3
    ok(merge(client, b, hidden, first), 202)  # a's request now names no team: this is b's own request
    assert "members" in problem(merge(client, a, first, hidden), 409)["detail"]  # b asked: a may now learn why
    assert [member_ids(ok(get_team(client, u, t))) for u, t in ((a, first), (b, hidden))] == [[a.id], [b.id, b2.id]]


def test_captain_asking_to_merge_after_merge_deadline_gets_one_answer(client, time_machine):
    _, _, challenge = arena(team_merge_deadline=time_machine.now + timedelta(days=1))
    a = make_user()
    first = team_of(client, challenge, a, name="A")
    hidden = team_of(client, challenge, make_user(), name="Hidden")
    foreign = team_of(client, arena()[2], make_user(), name="Foreign")
    time_machine.travel(days=2)
    same_problem([merge(client, a, first, other) for other in (hidden, foreign, 999999)], 409)


def test_non_captain_merges_refused(client):
    _, _, challenge = arena()
    a, a2, b = make_user(), make_user(), make_user()
    first, second = team_of(client, challenge, a, a2, name="A"), team_of(client, challenge, b, name="B")
    problem(merge(client, a2, first, second), 403)
    problem(merge(client, b, first, second), 404)
    ok(merge(client, b, second, first), 202)  # nobody asked for team A: this is only a request
    assert member_ids(ok(get_team(client, a, first))) == [a.id, a2.id]


# The split

def test_captain_sets_split_shares_reset_when_a_member_joins(client):
    _, _, challenge = arena()
    captain, member, newcomer = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    body = ok(split(client, captain, team_id, {str(captain.id): 1, str(member.id): 2}))
    assert body["split"] == [{"user_id": captain.id, "weight": 1, "share": 0.333333},
                             {"user_id": member.id, "weight": 2, "share": 0.666667}]
    assert ok(get_team(client, member, team_id))["split"] == body["split"]
    ok(answer(client, newcomer, ok(invite(client, captain, team_id, user_id=newcomer.id), 201)["id"]))
    assert [s["weight"] for s in ok(get_team(client, captain, team_id))["split"]] == [1, 1, 1]


def test_captain_changes_split_every_member_told_in_app_and_by_email(client, smtp):
    smtp.start()
    _, _, challenge = arena()
    captain, member = make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    shares = [{"user_id": captain.id, "weight": 1, "share": 0.25}, {"user_id": member.id, "weight": 3, "share": 0.75}]
    with split(client, captain, team_id, {str(captain.id): 1, str(member.id): 3}) as response:  # mail goes on close
        assert ok(response)["split"] == shares
    for user, mine in ((captain, shares[0]), (member, shares[1])):
        [data] = notes(client, user, "team.split_changed")
        assert data == {"team": {"id": team_id, "name": "Crew"}, "challenge": data["challenge"], "split": shares,
                        "your_weight": mine["weight"], "your_share": mine["share"]}
        assert data["challenge"]["id"] == challenge.id
    mail = {recipients[0]: message for recipients, message in smtp.inbox.messages()}
    assert sorted(mail) == sorted([captain.email, member.email])
    assert mail[member.email]["Subject"].startswith("Your team's prize split changed")
    assert "your_share: 0.75" in mail[member.email].get_content()
    ok(split(client, captain, team_id, {str(captain.id): 1, str(member.id): 3}))  # the same split: no news
    assert [len(notes(client, user, "team.split_changed")) for user in (captain, member)] == [1, 1]


def test_members_of_a_weighted_team_told_when_a_change_of_members_resets_split(client):
    _, _, challenge = arena(max_team_size=4)
    captain, member, newcomer, other = make_user(), make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    assert notes(client, member, "team.split_changed") == []  # equal shares stay equal: nothing to tell
    ok(split(client, captain, team_id, {str(captain.id): 1, str(member.id): 9}))
    ok(answer(client, newcomer, ok(invite(client, captain, team_id, user_id=newcomer.id), 201)["id"]))
    for user in (captain, member, newcomer):
        assert notes(client, user, "team.split_changed")[0]["your_share"] == 0.333333
    ok(split(client, captain, team_id, {str(captain.id): 1, str(member.id): 9, str(newcomer.id): 1}))
    assert leave(client, newcomer, team_id, newcomer).status_code == 204
    assert [notes(client, user, "team.split_changed")[0]["your_share"] for user in (captain, member)] == [0.5, 0.5]
    second = team_of(client, challenge, other, name="Other")
    ok(split(client, captain, team_id, {str(captain.id): 1, str(member.id): 2}))
    ok(merge(client, captain, team_id, second), 202)
    ok(merge(client, other, second, team_id))
    assert [len(notes(client, user, "team.split_changed")) for user in (captain, member, other)] == [6, 6, 1]
    assert notes(client, other, "team.split_changed")[0]["your_share"] == 0.333333


@pytest.mark.parametrize("weights", [
    lambda c, m: {str(c.id): 1}, lambda c, m: {str(c.id): 1, str(m.id): 1, "999999": 1},
    lambda c, m: {str(c.id): 1, str(m.id): 0}, lambda c, m: {str(c.id): 1, str(m.id): -1},
    lambda c, m: {str(c.id): 1, str(m.id): 1.5}, lambda c, m: {str(c.id): 1, str(m.id): "2"},
    lambda c, m: {str(c.id): 1, str(m.id): True}, lambda c, m: {str(c.id): 1, "abc": 1},
    lambda c, m: {}, lambda c, m: [1, 2],
])
def test_captain_sets_bad_split_unprocessable_unchanged(client, weights):
    _, _, challenge = arena()
    captain, member = make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    assert "weights" in problem(split(client, captain, team_id, weights(captain, member)), 422)["errors"]
    assert [s["share"] for s in ok(get_team(client, captain, team_id))["split"]] == [0.5, 0.5]
    assert notes(client, member, "team.split_changed") == []


def test_non_captain_sets_split_refused(client, time_machine):
    _, _, challenge = arena()
    captain, member = make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    weights = {str(captain.id): 1, str(member.id): 5}
    problem(split(client, member, team_id, weights), 403)
    problem(split(client, make_user(), team_id, weights), 404)
    time_machine.travel(days=8)
    problem(split(client, captain, team_id, weights), 409)


def test_captain_sets_split_naming_non_member_after_deadline_unprocessable(client, time_machine):
    _, _, challenge = arena()
    captain = make_user()
    team_id = team_of(client, challenge, captain)
    time_machine.travel(days=8)
    problem(split(client, captain, team_id, {str(captain.id): 1, "999999": 1}), 422)


def test_owner_awards_team_submission_records_split_solo_null(client, time_machine):
    owner, _, challenge = arena()
    captain, member, loner = make_user(), make_user(), make_user()
    team_id = team_of(client, challenge, captain, member)
    ok(split(client, captain, team_id, {str(captain.id): 3, str(member.id): 1}))
    ours, solo = ok(submit(client, member, challenge), 201)["id"], ok(submit(client, loner, challenge), 201)["id"]
    time_machine.travel(days=8)
    award = partial(client.post, f"{API}/challenges/{challenge.id}/awards", headers=auth_headers(owner))
    team_award = ok(award(json={"prize_id": challenge.prize_ids[0], "submission_id": ours}), 201)
    assert team_award["team_split"] == [{"user_id": captain.id, "weight": 3, "share": 0.75},
                                        {"user_id": member.id, "weight": 1, "share": 0.25}]
    assert ok(award(json={"prize_id": challenge.prize_ids[1], "submission_id": solo}), 201)["team_split"] is None


# Challenge settings

def _draft(client, owner, org, **fields):
    closes = "2030-01-08T12:00:00+00:00"
    body = {"organisation_id": org.id, "title": "Clean water", "closes_at": closes,
            "prizes": [{"title": "First", "reward": {"amount": 1000, "currency": "EUR"}}]} | fields
    return client.post(f"{API}/challenges", headers=auth_headers(owner), json=body)


def test_owner_creates_challenge_with_team_settings(client):
    owner = make_user()
    org = make_organisation(owner)
    plain = ok(_draft(client, owner, org), 201)
    assert (plain["max_team_size"], plain["team_merge_deadline"]) == (1, None)
    teamed = ok(_draft(client, owner, org, max_team_size=100, team_merge_deadline="2030-01-08T12:00:00+00:00"), 201)
    assert (teamed["max_team_size"], teamed["team_merge_deadline"]) == (100, "2030-01-08T12:00:00+00:00")
    earlier = client.patch(f"{API}/challenges/{teamed['id']}", headers=auth_headers(owner),
                           json={"closes_at": "2030-01-07T12:00:00+00:00"})  # the merge deadline would come after it
    assert "team_merge_deadline" in problem(earlier, 422)["errors"]


@pytest.mark.parametrize("fields, field", [
    ({"max_team_size": 0}, "max_team_size"), ({"max_team_size": 101}, "max_team_size"),
    ({"max_team_size": "3"}, "max_team_size"), ({"max_team_size": 2.5}, "max_team_size"),
    ({"team_merge_deadline": "2030-01-08T12:00:01+00:00"}, "team_merge_deadline"),
    ({"team_merge_deadline": "2030-01-05T12:00:00"}, "team_merge_deadline"),
])
def test_owner_creates_or_patches_challenge_bad_team_settings_unprocessable(client, fields, field):
    owner = make_user()
    org = make_organisation(owner)
    assert field in problem(_draft(client, owner, org, **fields), 422)["errors"]
    draft = ok(_draft(client, owner, org), 201)
    response = client.patch(f"{API}/challenges/{draft['id']}", headers=auth_headers(owner), json=fields)
    assert field in problem(response, 422)["errors"]


def test_owner_changes_team_size_of_published_challenge_only_upwards(client):
    owner, _, challenge = arena(max_team_size=3)
    patch = partial(client.patch, f"{API}/challenges/{challenge.id}", headers=auth_headers(owner))
    problem(patch(json={"max_team_size": 2}), 409)
    assert ok(patch(json={"max_team_size": 3}))["max_team_size"] == 3
    assert ok(patch(json={"max_team_size": 5}))["max_team_size"] == 5
    problem(patch(json={"max_team_size": 1}), 409)


# Under concurrent requests (PostgreSQL, real threads)

def _call(method, url, user, body=None):
    return partial(requests.request, method, url, json=body, headers=auth_headers(user), timeout=30)


def _statuses(responses):
    assert not [r.text for r in responses if r.status_code >= 500]
    return sorted(r.status_code for r in responses)


def _scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


@pytest.mark.postgres
def test_five_invitees_accepting_the_last_seat_at_once_fill_it_once(client, app, api):
    _, _, challenge = arena(max_team_size=3)
    captain, invitees = make_user(), [make_user() for _ in range(5)]
    team_id = team_of(client, challenge, captain, make_user())
    invitations = [ok(invite(client, captain, team_id, user_id=u.id), 201)["id"] for u in invitees]
    responses = race(*(_call("POST", f"{api}/invitations/{i}/accept", u) for i, u in zip(invitations, invitees)))
    assert _statuses(responses) == [200] + [409] * 4
    assert _scalar(app, select(func.count()).where(TeamMember.team_id == team_id)) == 3


@pytest.mark.postgres
def test_invitee_accepting_three_teams_at_once_joins_one(client, app, api):
    _, _, challenge = arena()
    invitee = make_user()
    invitations = []
    for n in range(3):
        captain = make_user()
        team_id = team_of(client, challenge, captain, name=f"T{n}")
        invitations.append(ok(invite(client, captain, team_id, user_id=invitee.id), 201)["id"])
    responses = race(*(_call("POST", f"{api}/invitations/{i}/accept", invitee) for i in invitations))
    assert _statuses(responses) == [200, 409, 409]
    assert _scalar(app, select(func.count()).where(TeamMember.user_id == invitee.id)) == 1


@pytest.mark.postgres
def test_three_teammates_submitting_three_times_at_once_stop_at_the_team_limit(client, app, api):
    _, _, challenge = arena(max_submissions_per_participant=3)
    members = [make_user() for _ in range(3)]
    team_id = team_of(client, challenge, *members)
    url = f"{api}/challenges/{challenge.id}/submissions"
    responses = race(*(_call("POST", url, member, ENTRY) for member in members * 3))
    assert _statuses(responses) == [201] * 3 + [409] * 6
    assert _scalar(app, select(func.count()).where(Submission.team_id == team_id)) == 3
    assert _scalar(app, select(Challenge.submission_count).where(Challenge.id == challenge.id)) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_captains_merging_while_teammates_submit_keep_invariants(client, app, api, round_):
    _, _, challenge = arena(max_team_size=4, max_submissions_per_participant=3)
    a, a2, b, b2 = make_user(), make_user(), make_user(), make_user()
    first, second = team_of(client, challenge, a, a2, name="A"), team_of(client, challenge, b, b2, name="B")
    ok(submit(client, a, challenge), 201), ok(submit(client, b, challenge), 201)
    responses = race(_call("POST", f"{api}/teams/{first}/merge", a, {"team_id": second}),
                     _call("POST", f"{api}/teams/{second}/merge", b, {"team_id": first}),
                     _call("POST", f"{api}/challenges/{challenge.id}/submissions", a2, ENTRY),
                     _call("POST", f"{api}/challenges/{challenge.id}/submissions", b2, ENTRY))
    assert _statuses(responses[:2]) in ([200, 202], [202, 409], [409, 409])
    assert set(_statuses(responses[2:])) <= {201, 409}
    with app.app_context():
        sizes = dict(db.session.execute(select(TeamMember.team_id, func.count()).where(
            TeamMember.challenge_id == challenge.id).group_by(TeamMember.team_id)).all())
        active = dict(db.session.execute(select(Submission.team_id, func.count()).where(
            Submission.challenge_id == challenge.id, Submission.status != SubmissionStatus.WITHDRAWN)
            .group_by(Submission.team_id)).all())
    assert sum(sizes.values()) == 4 and max(sizes.values()) <= 4
    assert set(active) <= set(sizes) and max(active.values()) <= 3
    merged = 200 in [r.status_code for r in responses[:2]]
    survivor = first if responses[0].status_code == 202 else second  # the first captain's team
    assert set(sizes) == ({survivor} if merged else {first, second})
    assert sum(active.values()) == 2 + [r.status_code for r in responses[2:]].count(201)


@pytest.mark.postgres
@pytest.mark.parametrize("case", ["accept_vs_dissolve", "split_vs_merge"])
def test_team_calls_racing_its_deletion_never_fail(client, api, case):
    failures = []
    for _ in range(6):
        _, _, challenge = arena(max_team_size=4)
        a, b = make_user(), make_user()
        second = team_of(client, challenge, b, name="B")
        if case == "accept_vs_dissolve":
            invitation = ok(invite(client, b, second, user_id=a.id), 201)["id"]
            calls = [_call("DELETE", f"{api}/teams/{second}/members/{b.id}", b),
                     _call("POST", f"{api}/invitations/{invitation}/accept", a)]
        else:
            first = team_of(client, challenge, a, name="A")
            ok(merge(client, a, first, second), 202)
            calls = [_call("POST", f"{api}/teams/{second}/merge", b, {"team_id": first}),
                     *[_call("PUT", f"{api}/teams/{second}/split", b, {"weights": {str(b.id): 2}})] * 8]
        failures += [r.text for r in race(*calls) if r.status_code >= 500]
    assert failures == []
