"""Who may call what: every endpoint of the core contract against every kind of caller."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.factories import (
    PASSWORD, add_member, auth_headers, make_award, make_challenge, make_org_invitation, make_organisation,
    make_submission, make_user,
)

ACTORS = ("anonymous", "participant", "author", "judge", "manager", "owner", "other_owner", "admin")
MEMBERS = ("judge", "manager", "owner", "admin")
NON_MEMBERS = ("anonymous", "participant", "author", "other_owner")


def expect(default: int, **cells: int) -> dict:
    """The status every actor gets: `default` for those not named."""
    assert set(cells) <= set(ACTORS)
    return {actor: cells.get(actor, default) for actor in ACTORS}


def managers(success: int, others: int = 403) -> dict:
    """Owners, managers and platform admins succeed; anonymous callers must sign in."""
    return expect(others, anonymous=401, manager=success, owner=success, admin=success)


INVITATION_TOKEN = "world-invitation"  # the participant's invitation to the organisation


def build_world(phase: str, **challenge_fields) -> SimpleNamespace:
    """An organisation with its people, a challenge in `phase`, submissions and (once closed) an award."""
    owner, manager, judge, bystander = make_user(), make_user(), make_user(), make_user()
    author, rival, participant, newcomer = make_user(), make_user(), make_user(), make_user()
    other_owner, admin = make_user(), make_user(is_admin=True)
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    add_member(organisation, bystander, "judge")
    make_organisation(other_owner)
    challenge = make_challenge(organisation, phase=phase, **challenge_fields)
    world = SimpleNamespace(
        users={"anonymous": None, "participant": participant, "author": author, "judge": judge,
               "manager": manager, "owner": owner, "other_owner": other_owner, "admin": admin},
        org=organisation.id, challenge=challenge.id,
        bystander=bystander.id, newcomer=newcomer.id, newcomer_email=newcomer.email,
        free_prize=challenge.prize_ids[1], submission=None, rival_submission=None, award=None,
        invitation=make_org_invitation(organisation, participant.email, INVITATION_TOKEN),
    )
    if phase != "draft":
        world.submission = make_submission(challenge, author).id
        world.rival_submission = make_submission(challenge, rival, title="Rival").id
    if phase in ("closed", "finalised"):
        submission = SimpleNamespace(id=world.submission)
        world.award = make_award(challenge, challenge.prize_ids[0], submission, owner).id
    return world


def new_challenge(world) -> dict:
    closes_at = datetime.now(UTC) + timedelta(days=30)
    return {"organisation_id": world.org, "title": "A new call", "closes_at": closes_at.isoformat()}


def new_award(world) -> dict:
    return {"prize_id": world.free_prize, "submission_id": world.rival_submission}


SUBMISSION = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}

# name: (method, path under /api/v1, phase in which an allowed caller succeeds, body, status per actor)
ENDPOINTS = {
    "register": ("POST", "/users", "open",
                 {"email": "fresh@example.com", "password": PASSWORD, "display_name": "Fresh"}, expect(201)),
    "sign_in": ("POST", "/tokens", "open",
                lambda w: {"email": w.newcomer_email, "password": PASSWORD}, expect(201)),
    "sign_out": ("DELETE", "/tokens", "open", None, expect(204, anonymous=401)),
    "me": ("GET", "/me", "open", None, expect(200, anonymous=401)),
    "update_me": ("PATCH", "/me", "open", {"locale": "fr"}, expect(200, anonymous=401)),
    "change_password": ("POST", "/me/password", "open",
                        {"current_password": PASSWORD, "new_password": "a new passphrase"}, expect(204, anonymous=401)),
    "export_me": ("GET", "/me/export", "open", None, expect(200, anonymous=401)),
    "erase_me": ("DELETE", "/me", "open", {"current_password": PASSWORD},
                 expect(204, anonymous=401, owner=409, other_owner=409)),  # each the last owner of an organisation
    "resend_verification": ("POST", "/me/email-verification", "open", None, expect(409, anonymous=401)),  # verified
    "request_password_reset": ("POST", "/password-resets", "open", {"email": "nobody@example.com"}, expect(202)),
    "reset_password": ("POST", "/password-resets/unknown-token", "open", {"new_password": "a new passphrase"},
                       expect(404)),
    "verify_email": ("POST", "/email-verifications/unknown-token", "open", None, expect(404)),
    "my_submissions": ("GET", "/me/submissions", "open", None, expect(200, anonymous=401)),
    "my_awards": ("GET", "/me/awards", "open", None, expect(200, anonymous=401)),

    "create_organisation": ("POST", "/organisations", "open", {"name": "Acme"}, expect(201, anonymous=401)),
    "get_organisation": ("GET", "/organisations/{org}", "open", None, expect(200)),
    "update_organisation": ("PATCH", "/organisations/{org}", "open", {"description": "New"}, managers(200)),
    "list_members": ("GET", "/organisations/{org}/members", "open", None,
                     expect(403, anonymous=401, judge=200, manager=200, owner=200, admin=200)),
    "set_member": ("PUT", "/organisations/{org}/members/{bystander}", "open", {"role": "manager"},
                   expect(403, anonymous=401, owner=200, admin=200)),
    "set_newcomer": ("PUT", "/organisations/{org}/members/{newcomer}", "open", {"role": "judge"},
                     expect(403, anonymous=401, owner=409, admin=409)),  # newcomers are invited
    "invite": ("POST", "/organisations/{org}/invitations", "open", {"email": "new@example.com", "role": "judge"},
               expect(403, anonymous=401, owner=201, admin=201)),
    "list_invitations": ("GET", "/organisations/{org}/invitations", "open", None,
                         expect(403, anonymous=401, owner=200, admin=200)),
    "revoke_invitation": ("DELETE", "/organisations/{org}/invitations/{invitation}", "open", None,
                          expect(403, anonymous=401, owner=204, admin=204)),
    "accept_invitation": ("POST", f"/organisation-invitations/{INVITATION_TOKEN}/accept", "open", None,
                          expect(404, anonymous=401, participant=200)),
    "decline_invitation": ("POST", f"/organisation-invitations/{INVITATION_TOKEN}/decline", "open", None,
                           expect(404, anonymous=401, participant=200)),
    "my_invitations": ("GET", "/me/invitations", "open", None, expect(200, anonymous=401)),
    "remove_member": ("DELETE", "/organisations/{org}/members/{bystander}", "open", None,
                      expect(403, anonymous=401, owner=204, admin=204)),
    "audit": ("GET", "/organisations/{org}/audit", "open", None, managers(200)),

    "create_challenge": ("POST", "/challenges", "open", new_challenge, managers(201)),
    "list_challenges": ("GET", "/challenges", "open", None, expect(200)),
    "get_challenge": ("GET", "/challenges/{challenge}", "open", None, expect(200)),
    "get_draft": ("GET", "/challenges/{challenge}", "draft", None,
                  expect(404, judge=200, manager=200, owner=200, admin=200)),
    "update_draft": ("PATCH", "/challenges/{challenge}", "draft", {"title": "Better"},
                     expect(404, anonymous=401, judge=403, manager=200, owner=200, admin=200)),
    "amend_open": ("PATCH", "/challenges/{challenge}", "open", {"title": "Amended"}, managers(200)),
    "delete_draft": ("DELETE", "/challenges/{challenge}", "draft", None,
                     expect(404, anonymous=401, judge=403, manager=204, owner=204, admin=204)),
    "publish": ("POST", "/challenges/{challenge}/publish", "draft", None,
                expect(404, anonymous=401, judge=403, manager=200, owner=200, admin=200)),
    "cancel": ("POST", "/challenges/{challenge}/cancel", "open", {"reason": "Off"}, managers(200)),
    "finalise": ("POST", "/challenges/{challenge}/finalise", "closed", None, managers(200)),
    "results_closed": ("GET", "/challenges/{challenge}/results", "closed", None,
                       expect(404, judge=200, manager=200, owner=200, admin=200)),
    "results_finalised": ("GET", "/challenges/{challenge}/results", "finalised", None, expect(200)),

    "submit": ("POST", "/challenges/{challenge}/submissions", "open", SUBMISSION,
               expect(201, anonymous=401, judge=403, manager=403, owner=403, admin=403)),
    "submit_draft": ("POST", "/challenges/{challenge}/submissions", "draft", SUBMISSION,
                     expect(404, anonymous=401, judge=403, manager=403, owner=403, admin=403)),
    "list_submissions": ("GET", "/challenges/{challenge}/submissions", "open", None, expect(200, anonymous=401)),
    "list_submissions_draft": ("GET", "/challenges/{challenge}/submissions", "draft", None,
                               expect(404, anonymous=401, judge=200, manager=200, owner=200, admin=200)),
    "get_submission": ("GET", "/submissions/{submission}", "open", None,
                       expect(404, author=200, judge=200, manager=200, owner=200, admin=200)),
    "get_winning_submission": ("GET", "/submissions/{submission}", "finalised", None, expect(200)),
    "revise": ("PATCH", "/submissions/{submission}", "open", {"title": "Better"},
               expect(403, anonymous=401, participant=404, other_owner=404, author=200)),
    "withdraw": ("POST", "/submissions/{submission}/withdraw", "open", None,
                 expect(403, anonymous=401, participant=404, other_owner=404, author=200)),
    "disqualify": ("POST", "/submissions/{submission}/disqualify", "open", {"reason": "Spam"},
                   expect(403, anonymous=401, participant=404, other_owner=404, manager=200, owner=200, admin=200)),

    "register_for_challenge": ("POST", "/challenges/{challenge}/registration", "open", {"accept_terms": True},
                               expect(403, anonymous=401, participant=201, other_owner=201, author=409)),
    "register_for_draft": ("POST", "/challenges/{challenge}/registration", "draft", {"accept_terms": True},
                           expect(404, anonymous=401, judge=403, manager=403, owner=403, admin=403)),
    "get_registration": ("GET", "/challenges/{challenge}/registration", "open", None,
                         expect(404, anonymous=401, author=200)),
    "unregister": ("DELETE", "/challenges/{challenge}/registration", "open", None,
                   expect(404, anonymous=401, author=409)),  # the author has an active submission
    "list_registrations": ("GET", "/challenges/{challenge}/registrations", "open", None, managers(200)),
    "approve_registration": ("POST", "/challenges/{challenge}/registrations/{newcomer}/approve", "open", None,
                             managers(404)),  # allowed callers learn that the newcomer has not registered
    "refuse_registration": ("POST", "/challenges/{challenge}/registrations/{newcomer}/refuse", "open",
                            {"reason": "Not eligible"}, managers(404)),

    "create_award": ("POST", "/challenges/{challenge}/awards", "closed", new_award, managers(201)),
    "list_awards_closed": ("GET", "/challenges/{challenge}/awards", "closed", None,
                           expect(404, judge=200, manager=200, owner=200, admin=200)),
    "list_awards_finalised": ("GET", "/challenges/{challenge}/awards", "finalised", None, expect(200)),
    "revoke_award": ("DELETE", "/challenges/{challenge}/awards/{award}", "closed", None,
                     expect(404, anonymous=401, judge=403, manager=204, owner=204, admin=204)),
    "payout": ("POST", "/awards/{award}/payout", "finalised", {"reference": "TX-1"}, managers(200)),
    "cancel_award": ("POST", "/awards/{award}/cancel", "finalised", {"reason": "Failed checks"}, managers(200)),
}

MATRIX = [pytest.param(name, actor, id=f"{name}-{actor}") for name in ENDPOINTS for actor in ACTORS]


def call(client, world, actor: str, method: str, path: str, body=None, **query):
    """Make a request as one of the world's actors."""
    user = world.users[actor]
    headers = auth_headers(user) if user else {}
    if callable(body):
        body = body(world)
    url = "/api/v1" + path.format(**vars(world))
    return client.open(url, method=method, headers=headers, json=body, query_string=query)


def assert_status(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == status
    elif status != 204:
        assert response.mimetype == "application/json"


@pytest.mark.parametrize(("endpoint", "actor"), MATRIX)
def test_permission_matrix(client, endpoint, actor):
    method, path, phase, body, statuses = ENDPOINTS[endpoint]
    world = build_world(phase)
    response = call(client, world, actor, method, path, body)
    assert_status(response, statuses[actor])


def listed_ids(response) -> set[int]:
    assert_status(response, 200)
    return {item["id"] for item in response.json["items"]}


@pytest.mark.parametrize("actor", NON_MEMBERS)
def test_non_member_lists_challenges_without_drafts(client, actor):
    world = build_world("open")
    draft = make_challenge(SimpleNamespace(id=world.org), phase="draft")
    listed = listed_ids(call(client, world, actor, "GET", "/challenges"))
    assert world.challenge in listed and draft.id not in listed
    assert draft.id not in listed_ids(call(client, world, actor, "GET", "/challenges", phase="draft"))
    assert draft.id not in listed_ids(call(client, world, actor, "GET", "/challenges", organisation_id=world.org))


@pytest.mark.parametrize(("actor", "own"), [("participant", False), ("other_owner", False), ("author", True)])
def test_participant_lists_only_own_submissions(client, actor, own):
    world = build_world("open")
    listed = listed_ids(call(client, world, actor, "GET", "/challenges/{challenge}/submissions"))
    assert listed == ({world.submission} if own else set())


@pytest.mark.parametrize("actor", MEMBERS)
def test_member_lists_all_submissions(client, actor):
    world = build_world("open")
    listed = listed_ids(call(client, world, actor, "GET", "/challenges/{challenge}/submissions"))
    assert listed == {world.submission, world.rival_submission}


@pytest.mark.parametrize("actor", MEMBERS)
def test_member_previews_results_before_finalisation(client, actor):
    world = build_world("closed")
    response = call(client, world, actor, "GET", "/challenges/{challenge}/results")
    assert_status(response, 200)
    assert [item["submission"]["id"] for item in response.json["items"]] == [world.submission]


@pytest.mark.parametrize("actor", NON_MEMBERS)
def test_non_member_reads_results_after_finalisation_ok(client, actor):
    world = build_world("finalised")
    results = call(client, world, actor, "GET", "/challenges/{challenge}/results")
    assert_status(results, 200)
    assert [item["submission"]["id"] for item in results.json["items"]] == [world.submission]
    awards = call(client, world, actor, "GET", "/challenges/{challenge}/awards")
    assert [item["id"] for item in awards.json["items"]] == [world.award]


@pytest.mark.parametrize("actor", ("participant", "other_owner"))
def test_non_member_reads_losing_submission_after_finalisation_not_found(client, actor):
    world = build_world("finalised")
    assert_status(call(client, world, actor, "GET", "/submissions/{rival_submission}"), 404)


@pytest.mark.parametrize("actor", ("participant", "other_owner"))
def test_non_member_reads_unpublished_winner_not_found(client, actor):
    world = build_world("finalised", publish_winning_submissions=False)
    assert_status(call(client, world, actor, "GET", "/submissions/{submission}"), 404)
    results = call(client, world, actor, "GET", "/challenges/{challenge}/results")
    assert_status(results, 200)
    assert [item["submission"] for item in results.json["items"]] == [None]


@pytest.mark.parametrize("actor", ("participant", "author", "other_owner"))
def test_non_member_lists_submissions_after_finalisation_without_others(client, actor):
    world = build_world("finalised")
    listed = listed_ids(call(client, world, actor, "GET", "/challenges/{challenge}/submissions"))
    assert world.rival_submission not in listed


def test_admin_reads_me_with_admin_flag(client):
    world = build_world("open")
    response = call(client, world, "admin", "GET", "/me")
    assert_status(response, 200)
    assert response.json["is_admin"] is True


@pytest.mark.parametrize("actor", ("participant", "author", "judge", "other_owner"))
def test_non_manager_denied_call_changes_nothing(client, actor):
    world = build_world("open")
    assert_status(call(client, world, actor, "PATCH", "/challenges/{challenge}", {"title": "Hijacked"}), 403)
    response = call(client, world, "owner", "GET", "/challenges/{challenge}")
    assert response.json["title"] != "Hijacked"
