"""Organisation membership by invitation: invite by email, accept or decline with the link, list, revoke."""
import hashlib
import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from challenges import clock
from challenges.extensions import db
from challenges.models import Membership, Moderation, Notification, OrganisationInvitation, OrganisationInvitationStatus
from tests.factories import (
    add_member, auth_headers, count, make_challenge, make_org_invitation, make_organisation, make_submission,
    make_user, statements_sent,
)
from tests.test_account_settings import closed, ok, problem
from tests.test_notifications import smtp  # noqa: F401  (a fixture)
from tests.threads import race

API = "/api/v1"
NOT_YOURS = ("No invitation of this link was sent to your address: sign in with the account of the address it was "
             "sent to.")


def invite(client, organisation, actor, **body):
    return client.post(f"{API}/organisations/{organisation.id}/invitations", headers=auth_headers(actor), json=body)


def answer(client, actor, token: str, verb: str = "accept"):
    return client.post(f"{API}/organisation-invitations/{token}/{verb}", headers=auth_headers(actor))


def roles(app, organisation) -> dict[int, str]:
    with app.app_context():
        return {m.user_id: m.role.value for m in db.session.scalars(
            select(Membership).where(Membership.organisation_id == organisation.id))}


@pytest.fixture
def org(app):
    owner = make_user()
    return make_organisation(owner), owner


# Inviting


def test_owner_invites_an_address_and_the_email_carries_the_link(app, client, org, smtp):  # noqa: F811
    smtp.start()
    organisation, owner = org
    body = ok(closed(invite(client, organisation, owner, email="Colleague@Example.com", role="manager")), 201)
    assert body["email"] == "colleague@example.com" and body["role"] == "manager" and body["status"] == "pending"
    assert body["token"] is None and body["invited_by"] == owner.id and body["answered_at"] is None
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == ["colleague@example.com"]
    assert message["Subject"] == f"You are invited to join {organisation.name}"
    token = re.search(r"Token: (\S+)", message.get_content()).group(1)
    assert f"/organisation-invitation#token={token}" in message.get_content()
    with app.app_context():
        stored = db.session.get(OrganisationInvitation, body["id"])
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert stored.expires_at == stored.created_at + timedelta(days=14)


def test_owner_invites_a_french_reader_of_a_held_organisation_gets_a_french_email_without_its_name(
        app, client, smtp):  # noqa: F811
    smtp.start()
    owner = make_user()
    organisation = make_organisation(owner, moderation=Moderation.HELD)
    reader = make_user(locale="fr")
    ok(closed(invite(client, organisation, owner, email=reader.email, role="judge")), 201)
    [(_, message)] = smtp.inbox.messages()
    assert message["Subject"] == f"Vous êtes invité à rejoindre Organisation {organisation.id}"
    assert message["Content-Language"] == "fr" and "en tant que juge" in message.get_content()
    assert organisation.name not in message.as_string()


def test_owner_invites_without_email_gets_the_token_to_pass_on(client, org):
    organisation, owner = org
    body = ok(invite(client, organisation, owner, email="x@example.com", role="judge"), 201)
    colleague = make_user(email="x@example.com")
    accepted = ok(answer(client, colleague, body["token"]))
    assert accepted["status"] == "accepted"


def test_admin_invites_as_an_owner(client, org):
    organisation, _ = org
    body = ok(invite(client, organisation, make_user(is_admin=True), email="a@example.com", role="owner"), 201)
    assert body["role"] == "owner"


def test_owner_invites_a_member_or_an_invited_address_gets_409(client, org):
    organisation, owner = org
    judge = make_user()
    add_member(organisation, judge, "judge")
    member = problem(invite(client, organisation, owner, email=judge.email.upper(), role="manager"), 409)
    assert member["detail"] == "This address belongs to a member of the organisation already."
    ok(invite(client, organisation, owner, email="new@example.com", role="judge"), 201)
    again = problem(invite(client, organisation, owner, email="new@example.com", role="manager"), 409)
    assert again["detail"] == "This address has a pending invitation already; revoke it to send a new one."
    assert count(OrganisationInvitation) == 1


def test_owner_invites_again_after_expiry_and_the_old_link_is_superseded(app, client, org, time_machine):
    organisation, owner = org
    make_org_invitation(organisation, "late@example.com", "old-token")
    time_machine.travel(days=15)
    ok(invite(client, organisation, owner, email="late@example.com", role="judge"), 201)
    late = make_user(email="late@example.com")
    assert problem(answer(client, late, "old-token"), 409)["detail"] == "This invitation is already superseded."


@pytest.mark.parametrize("body, field", [
    ({"email": "not an email", "role": "judge"}, "email"),
    ({"email": "a@example.com", "role": "admin"}, "role"),
    ({"email": "a@example.com"}, "role"),
    ({"role": "judge"}, "email"),
    ({"email": "a" * 250 + "@example.com", "role": "judge"}, "email"),
    ({"email": "a@example.com", "role": "judge", "user_id": 3}, "user_id"),
])
def test_owner_invites_with_bad_body_gets_422(client, org, body, field):
    organisation, owner = org
    assert field in problem(invite(client, organisation, owner, **body), 422)["errors"]
    assert count(OrganisationInvitation) == 0


@pytest.mark.parametrize("role", ["manager", "judge", None])
def test_non_owner_invites_gets_403_before_the_body_is_read(client, org, role):
    organisation, _ = org
    actor = make_user()
    if role:
        add_member(organisation, actor, role)
    problem(invite(client, organisation, actor, email="nope"), 403)
    assert count(OrganisationInvitation) == 0


def test_anonymous_invites_gets_401_and_unknown_organisation_404(client, org):
    organisation, owner = org
    problem(client.post(f"{API}/organisations/{organisation.id}/invitations", json={"email": "x"}), 401)
    problem(client.post(f"{API}/organisations/999999/invitations", headers=auth_headers(owner),
                        json={"email": "a@example.com", "role": "judge"}), 404)


# Accepting and declining


def test_invitee_accepts_becomes_member_audited_and_owners_notified(app, client, org):
    organisation, owner = org
    colleague = make_user()
    make_org_invitation(organisation, colleague.email, "tok-accept", role="manager")
    body = ok(answer(client, colleague, "tok-accept"))
    assert body["status"] == "accepted" and body["role"] == "manager" and body["answered_at"]
    assert roles(app, organisation) == {owner.id: "owner", colleague.id: "manager"}
    audit = ok(client.get(f"{API}/organisations/{organisation.id}/audit", headers=auth_headers(owner)))
    assert audit["items"][0]["action"] == "member.added" and audit["items"][0]["actor"]["id"] == colleague.id
    with app.app_context():
        [note] = db.session.scalars(select(Notification).where(Notification.user_id == owner.id))
        assert note.kind == "organisation.invitation_accepted" and note.data["member"]["id"] == colleague.id
    problem(answer(client, colleague, "tok-accept"), 409)  # used


def test_invitee_declines_and_nobody_joins(app, client, org):
    organisation, owner = org
    colleague = make_user()
    make_org_invitation(organisation, colleague.email, "tok-decline")
    assert ok(answer(client, colleague, "tok-decline", "decline"))["status"] == "declined"
    body = problem(answer(client, colleague, "tok-decline"), 409)
    assert body["detail"] == "This invitation is already declined."
    assert roles(app, organisation) == {owner.id: "owner"}


def test_someone_signs_up_with_the_invited_address_then_accepts(app, client, org):
    organisation, _ = org
    make_org_invitation(organisation, "future@example.com", "tok-future")
    created = ok(client.post(f"{API}/users", json={"email": "Future@example.com", "password": "long enough pass",
                                                   "display_name": "Future"}), 201)
    token = ok(client.post(f"{API}/tokens", json={"email": "future@example.com", "password": "long enough pass"}),
               201)["token"]
    response = client.post(f"{API}/organisation-invitations/tok-future/accept",
                           headers={"Authorization": f"Bearer {token}"})
    assert ok(response)["status"] == "accepted"
    assert roles(app, organisation)[created["id"]] == "judge"


def test_other_account_answers_gets_the_same_404_as_an_unknown_token(app, client, org):
    organisation, owner = org
    make_org_invitation(organisation, "someone@example.com", "tok-other")
    stranger = make_user()
    for token, verb in (("tok-other", "accept"), ("tok-other", "decline"), ("no-such-token", "accept")):
        assert problem(answer(client, stranger, token, verb), 404)["detail"] == NOT_YOURS
    problem(answer(client, owner, "tok-other"), 404)
    assert roles(app, organisation) == {owner.id: "owner"}


def test_unverified_invitee_accepts_gets_409_until_verified(app, client, org):
    organisation, owner = org
    colleague = make_user(email_verified_at=None)
    make_org_invitation(organisation, colleague.email, "tok-unverified")
    body = problem(answer(client, colleague, "tok-unverified"), 409)
    assert body["detail"] == "Verify your email address first; then you can accept the invitation."
    assert roles(app, organisation) == {owner.id: "owner"}


def test_invitee_accepts_expired_or_revoked_gets_409(app, client, org, time_machine):
    organisation, owner = org
    colleague = make_user()
    make_org_invitation(organisation, colleague.email, "tok-expired", expires_at=clock.now() + timedelta(hours=1))
    time_machine.travel(hours=2)
    body = problem(answer(client, colleague, "tok-expired"), 409)
    assert body["detail"] == "This invitation has expired: ask the organisation for a new one."
    other = make_user()
    revoked = make_org_invitation(organisation, other.email, "tok-revoked")
    ok(client.delete(f"{API}/organisations/{organisation.id}/invitations/{revoked}", headers=auth_headers(owner)),
       204)
    assert problem(answer(client, other, "tok-revoked"), 409)["detail"] == "This invitation is already revoked."
    assert roles(app, organisation) == {owner.id: "owner"}


def test_entrant_accepts_while_competing_gets_409_then_joins_after_withdrawing(app, client, org):
    organisation, owner = org
    entrant = make_user()
    challenge = make_challenge(organisation, "open")
    submission = make_submission(challenge, entrant)
    make_org_invitation(organisation, entrant.email, "tok-entrant")
    body = problem(answer(client, entrant, "tok-entrant"), 409)
    assert body["detail"].startswith(f"This person competes in challenge #{challenge.id} ")
    ok(client.post(f"{API}/submissions/{submission.id}/withdraw", headers=auth_headers(entrant)))
    assert ok(answer(client, entrant, "tok-entrant"))["status"] == "accepted"


def test_member_accepts_an_invitation_gets_409(app, client, org):
    organisation, owner = org
    judge = make_user()
    add_member(organisation, judge, "judge")
    make_org_invitation(organisation, judge.email, "tok-member", role="owner")
    assert problem(answer(client, judge, "tok-member"), 409)["detail"] == \
        "You are a member of this organisation already."
    assert roles(app, organisation)[judge.id] == "judge"


def test_invitee_answers_with_a_body_gets_422_and_anonymous_401(app, client, org):
    organisation, _ = org
    colleague = make_user()
    make_org_invitation(organisation, colleague.email, "tok-body")
    response = client.post(f"{API}/organisation-invitations/tok-body/accept", headers=auth_headers(colleague),
                           json={"role": "owner"})
    problem(response, 422)
    problem(client.post(f"{API}/organisation-invitations/tok-body/accept"), 401)
    problem(client.post(f"{API}/organisation-invitations/{'x' * 129}/accept", headers=auth_headers(colleague)), 404)


# Listing and revoking


def test_owner_lists_live_invitations_newest_first_in_pages(app, client, org, time_machine):
    organisation, owner = org
    ids = []
    for n in range(3):
        ids.append(make_org_invitation(organisation, f"p{n}@example.com", f"tok-list-{n}"))
        time_machine.travel(minutes=1)
    make_org_invitation(organisation, "old@example.com", "tok-old", expires_at=clock.now() - timedelta(seconds=1))
    make_org_invitation(organisation, "gone@example.com", "tok-gone", status=OrganisationInvitationStatus.REVOKED)
    url = f"{API}/organisations/{organisation.id}/invitations"
    first = ok(client.get(f"{url}?limit=2", headers=auth_headers(owner)))
    rest = ok(client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=auth_headers(owner)))
    assert [item["id"] for item in first["items"] + rest["items"]] == ids[::-1] and rest["next_cursor"] is None
    assert first["items"][0]["email"] == "p2@example.com" and "token" not in first["items"][0]
    problem(client.get(f"{url}?cursor=garbage", headers=auth_headers(owner)), 400)
    problem(client.get(f"{url}?limit=0", headers=auth_headers(owner)), 422)


@pytest.mark.parametrize("role", ["manager", "judge", None])
def test_non_owner_lists_or_revokes_gets_403(app, client, org, role):
    organisation, _ = org
    actor = make_user()
    if role:
        add_member(organisation, actor, role)
    pending = make_org_invitation(organisation, "x@example.com", "tok-403")
    problem(client.get(f"{API}/organisations/{organisation.id}/invitations", headers=auth_headers(actor)), 403)
    problem(client.delete(f"{API}/organisations/{organisation.id}/invitations/{pending}",
                          headers=auth_headers(actor)), 403)


def test_owner_revokes_another_organisations_or_an_answered_invitation_gets_404_or_409(app, client, org):
    organisation, owner = org
    elsewhere = make_organisation(make_user())
    foreign = make_org_invitation(elsewhere, "f@example.com", "tok-foreign")
    base = f"{API}/organisations/{organisation.id}/invitations"
    problem(client.delete(f"{base}/{foreign}", headers=auth_headers(owner)), 404)
    problem(client.delete(f"{base}/999999", headers=auth_headers(owner)), 404)
    answered = make_org_invitation(organisation, "a@example.com", "tok-answered",
                          status=OrganisationInvitationStatus.ACCEPTED)
    assert problem(client.delete(f"{base}/{answered}", headers=auth_headers(owner)), 409)["detail"] == \
        "This invitation is already accepted."


def test_user_lists_team_and_organisation_invitations_newest_first(app, client, org, time_machine):
    organisation, owner = org
    user = make_user()
    challenge = make_challenge(organisation, "open", max_team_size=3)
    captain = make_user()
    team = ok(client.post(f"{API}/challenges/{challenge.id}/teams", headers=auth_headers(captain),
                          json={"name": "Crew"}), 201)
    time_machine.travel(minutes=1)
    first = make_org_invitation(organisation, user.email, "tok-me-1")
    time_machine.travel(minutes=1)
    team_invitation = ok(client.post(f"{API}/teams/{team['id']}/invitations", headers=auth_headers(captain),
                                     json={"user_id": user.id}), 201)
    time_machine.travel(minutes=1)
    second = make_org_invitation(make_organisation(make_user()), user.email, "tok-me-2", role="manager")
    make_org_invitation(organisation, "someone.else@example.com", "tok-me-3")
    page = ok(client.get(f"{API}/me/invitations?limit=2", headers=auth_headers(user)))
    rest = ok(client.get(f"{API}/me/invitations?limit=2&cursor={page['next_cursor']}", headers=auth_headers(user)))
    items = page["items"] + rest["items"]
    assert [item["kind"] for item in items] == ["organisation", "team", "organisation"]
    assert items[0]["organisation_invitation"]["id"] == second and items[0]["team_invitation"] is None
    assert items[1]["team_invitation"]["id"] == team_invitation["id"]
    assert items[2]["organisation_invitation"]["id"] == first and rest["next_cursor"] is None
    problem(client.get(f"{API}/me/invitations?cursor=garbage", headers=auth_headers(user)), 400)
    problem(client.get(f"{API}/me/invitations"), 401)


def test_user_lists_invitations_with_constant_query_count(app, client, org):
    organisation, _ = org
    user = make_user()
    for n in range(4):
        make_org_invitation(make_organisation(make_user()), user.email, f"tok-count-{n}")
    counts = []
    for limit in (1, 100):
        with statements_sent(app) as statements:
            body = ok(client.get(f"{API}/me/invitations?limit={limit}", headers=auth_headers(user)))
        counts.append(len(statements))
    assert len(body["items"]) == 4 and counts[0] == counts[1]


def test_unverified_user_lists_invitations_sees_no_organisation_ones(app, client, org):
    organisation, _ = org
    user = make_user(email_verified_at=None)
    make_org_invitation(organisation, user.email, "tok-unseen")
    assert ok(client.get(f"{API}/me/invitations", headers=auth_headers(user))) == {"items": [], "next_cursor": None}


# Under concurrency (PostgreSQL, real threads)


def test_two_accepts_of_one_invitation_at_once_make_one_membership(app, api, org):
    organisation, owner = org
    colleague = make_user()
    make_org_invitation(organisation, colleague.email, "tok-race")
    url = f"{api}/organisation-invitations/tok-race/accept"
    responses = race(*(lambda: requests.post(url, headers=auth_headers(colleague), timeout=30) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert roles(app, organisation) == {owner.id: "owner", colleague.id: "judge"}


def test_accept_racing_revoke_ends_consistent(app, api, org):
    organisation, owner = org
    colleague = make_user()
    pending = make_org_invitation(organisation, colleague.email, "tok-revoke-race")
    calls = [lambda: requests.post(f"{api}/organisation-invitations/tok-revoke-race/accept",
                                   headers=auth_headers(colleague), timeout=30),
             lambda: requests.delete(f"{api}/organisations/{organisation.id}/invitations/{pending}",
                                     headers=auth_headers(owner), timeout=30)]
    accepted, revoked = (r.status_code for r in race(*calls))
    assert (accepted, revoked) in ((200, 409), (409, 204))
    with app.app_context():
        status = db.session.get(OrganisationInvitation, pending).status
    expected = OrganisationInvitationStatus.ACCEPTED if accepted == 200 else OrganisationInvitationStatus.REVOKED
    assert status is expected
    assert (colleague.id in roles(app, organisation)) == (accepted == 200)


def test_two_invitations_of_one_address_at_once_make_one(app, api, org):
    organisation, owner = org
    url = f"{api}/organisations/{organisation.id}/invitations"
    responses = race(*(lambda: requests.post(url, headers=auth_headers(owner), timeout=30,
                                             json={"email": "twice@example.com", "role": "judge"}) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    assert count(OrganisationInvitation) == 1
