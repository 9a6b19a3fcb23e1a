"""A team's daily and total limits across joins, leaves and merges: one team never holds more than one quota."""
from functools import partial

import pytest
import requests
from sqlalchemy import func, select

from challenges.extensions import db
from challenges.models import Invitation, InvitationStatus, Submission, TeamMember
from tests.factories import auth_headers, make_user
from tests.test_scoring import labels, quota, scored, submitted, upload, world  # noqa: F401  (world is a fixture)
from tests.test_teams import answer, get_team, invite, leave, member_ids, merge, ok, problem, read_submission, team_of
from tests.threads import race

API = "/api/v1"


def challenge(client, world, **settings):
    """An open scored challenge for teams of up to 3: 5 submissions a UTC day, 20 in all."""
    return scored(client, world, **{"max_team_size": 3, "limit": 20} | settings)


def runs(client, challenge, user, n: int) -> list[int]:
    """The ids of n accepted predictions by the user, for their team when they are in one."""
    return [submitted(client, challenge.id, user, labels(challenge)) for _ in range(n)]


def left(client, challenge, user) -> tuple[int, int]:
    """(remaining_today, remaining_total) of the user's entrant."""
    body = ok(quota(client, challenge.id, user))
    return body["remaining_today"], body["remaining_total"]


def today_of(app, team_id: int) -> int:
    """How many submissions the team holds, all of them made today."""
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Submission.team_id == team_id))


def test_invitee_who_submitted_today_joins_over_daily_limit_conflict_unchanged(client, app, world):
    open_call = challenge(client, world)
    captain, invitee = world.alice, world.bob
    runs(client, open_call, captain, 3)
    solo = runs(client, open_call, invitee, 3)
    team_id = team_of(client, open_call, captain)
    invitation = ok(invite(client, captain, team_id, user_id=invitee.id), 201)["id"]
    detail = problem(answer(client, invitee, invitation), 409)["detail"]
    assert "today" in detail and "(6)" in detail and "daily limit of 5" in detail
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id]
    assert [ok(read_submission(client, invitee, s))["team"] for s in solo] == [None] * 3
    assert (left(client, open_call, captain), left(client, open_call, invitee)) == ((2, 17), (2, 17))
    with app.app_context():
        assert db.session.get(Invitation, invitation).status is InvitationStatus.PENDING


def test_invitee_whose_submissions_are_of_yesterday_joins_ok(client, world):
    open_call = challenge(client, world)
    captain, invitee = world.alice, world.bob
    runs(client, open_call, invitee, 4)
    world.clock.travel(days=1)
    runs(client, open_call, captain, 4)
    team_id = team_of(client, open_call, captain, invitee)
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id, invitee.id]
    assert left(client, open_call, invitee) == (1, 12)


def test_member_leaving_and_rejoining_gets_no_second_daily_quota(client, app, world):
    open_call = challenge(client, world)
    captain, member = world.alice, world.bob
    team_id = team_of(client, open_call, captain, member)
    runs(client, open_call, member, 3)
    assert leave(client, member, team_id, member).status_code == 204  # the leaver takes their 3 along
    runs(client, open_call, captain, 5)  # the team's quota of today, used in full
    problem(upload(client, open_call.id, captain, labels(open_call)), 409)
    invitation = ok(invite(client, captain, team_id, user_id=member.id), 201)["id"]
    assert "daily limit of 5" in problem(answer(client, member, invitation), 409)["detail"]
    assert member_ids(ok(get_team(client, captain, team_id))) == [captain.id]
    assert today_of(app, team_id) == 5
    assert (left(client, open_call, captain), left(client, open_call, member)) == ((0, 15), (2, 17))


def test_captains_merging_over_daily_limit_conflict_unchanged(client, app, world):
    open_call = challenge(client, world)
    a, b = world.alice, world.bob
    first, second = team_of(client, open_call, a, name="A"), team_of(client, open_call, b, name="B")
    runs(client, open_call, a, 3), runs(client, open_call, b, 3)
    ok(merge(client, a, first, second), 202)  # a request tells nothing of team B
    assert "daily limit of 5" in problem(merge(client, b, second, first), 409)["detail"]
    assert [member_ids(ok(get_team(client, u, t))) for u, t in ((a, first), (b, second))] == [[a.id], [b.id]]
    assert (today_of(app, first), today_of(app, second)) == (3, 3)


def test_captains_merging_within_daily_limit_share_one_quota(client, world):
    open_call = challenge(client, world)
    a, b = world.alice, world.bob
    first, second = team_of(client, open_call, a, name="A"), team_of(client, open_call, b, name="B")
    runs(client, open_call, a, 2), runs(client, open_call, b, 3)
    ok(merge(client, a, first, second), 202)
    assert member_ids(ok(merge(client, b, second, first))) == [a.id, b.id]
    assert left(client, open_call, b) == (0, 15)
    problem(upload(client, open_call.id, b, labels(open_call)), 409)


# Under concurrent requests (PostgreSQL, real threads)

def _call(url: str, user, body=None):
    return partial(requests.post, url, json=body, headers=auth_headers(user), timeout=30)


def _statuses(responses) -> list[int]:
    assert not [r.text for r in responses if r.status_code >= 500]
    return sorted(r.status_code for r in responses)


@pytest.mark.postgres
def test_four_invitees_who_submitted_today_accepting_at_once_fill_the_daily_quota_once(client, app, api, world):
    open_call = challenge(client, world, max_team_size=5)
    captain, invitees = world.alice, [make_user() for _ in range(4)]
    runs(client, open_call, captain, 1)
    team_id = team_of(client, open_call, captain)
    invitations = []
    for invitee in invitees:
        runs(client, open_call, invitee, 2)
        invitations.append(ok(invite(client, captain, team_id, user_id=invitee.id), 201)["id"])
    responses = race(*(_call(f"{api}/invitations/{i}/accept", u) for i, u in zip(invitations, invitees)))
    assert _statuses(responses) == [200, 200, 409, 409]
    assert today_of(app, team_id) == 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(TeamMember.team_id == team_id)) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_join_and_merge_into_one_team_at_once_keep_its_daily_limit(client, app, api, world, round_):
    open_call = challenge(client, world)
    a, b, joiner = world.alice, world.bob, world.carol
    first, second = team_of(client, open_call, a, name="A"), team_of(client, open_call, b, name="B")
    for user in (a, b, joiner):
        runs(client, open_call, user, 2)
    ok(merge(client, a, first, second), 202)  # B's captain completes it below: A survives
    invitation = ok(invite(client, a, first, user_id=joiner.id), 201)["id"]
    responses = race(_call(f"{api}/teams/{second}/merge", b, {"team_id": first}),
                     _call(f"{api}/invitations/{invitation}/accept", joiner))
    assert _statuses(responses) == [200, 409]
    assert today_of(app, first) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(TeamMember.team_id == first)) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_invitee_joining_while_the_team_submits_keeps_its_daily_limit(client, app, api, world, round_):
    open_call = challenge(client, world)
    captain, member, invitee = world.alice, world.bob, world.carol
    team_id = team_of(client, open_call, captain, member)
    runs(client, open_call, captain, 1), runs(client, open_call, invitee, 2)
    invitation = ok(invite(client, captain, team_id, user_id=invitee.id), 201)["id"]
    upload_call = partial(requests.post, f"{api}/challenges/{open_call.id}/submissions",
                          data={"title": "Run", "accept_terms": "true"}, timeout=30,
                          files={"file": ("predictions.csv", labels(open_call))})
    responses = race(_call(f"{api}/invitations/{invitation}/accept", invitee),
                     *(partial(upload_call, headers=auth_headers(user)) for user in (captain, member) * 2))
    joined, uploads = responses[0].status_code == 200, [r.status_code for r in responses[1:]]
    assert set(_statuses(responses)) <= {200, 201, 409}
    assert today_of(app, team_id) == 1 + uploads.count(201) + (2 if joined else 0) <= 5
