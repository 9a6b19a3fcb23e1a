"""Organisations and their members."""
from tests.factories import add_member, auth_headers, make_org_invitation, make_organisation, make_user


def test_user_creates_organisation_and_becomes_owner(client):
    user = make_user()
    response = client.post("/api/v1/organisations", headers=auth_headers(user),
                           json={"name": "Lab", "website": "https://lab.example"})
    assert response.status_code == 201
    members = client.get(f"/api/v1/organisations/{response.json['id']}/members", headers=auth_headers(user)).json
    assert members["items"] == [{"user_id": user.id, "display_name": user.display_name, "role": "owner"}]


def test_manager_updates_organisation(client):
    owner, manager = make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    response = client.patch(f"/api/v1/organisations/{organisation.id}", headers=auth_headers(manager),
                            json={"description": "We fix water."})
    assert response.status_code == 200 and response.json["description"] == "We fix water."
    assert response.json["name"] == organisation.name


def test_owner_changes_roles_and_removes_members(client):
    owner, member = make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, member, "judge")
    url = f"/api/v1/organisations/{organisation.id}/members/{member.id}"
    changed = client.put(url, headers=auth_headers(owner), json={"role": "manager"})
    assert changed.status_code == 200
    assert changed.json == {"user_id": member.id, "display_name": member.display_name, "role": "manager"}
    assert client.delete(url, headers=auth_headers(owner)).status_code == 204
    members = client.get(f"/api/v1/organisations/{organisation.id}/members", headers=auth_headers(owner)).json
    assert [m["user_id"] for m in members["items"]] == [owner.id]


def test_owner_demotes_or_removes_last_owner_gets_409(client):
    owner = make_user()
    organisation = make_organisation(owner)
    url = f"/api/v1/organisations/{organisation.id}/members/{owner.id}"
    assert client.put(url, headers=auth_headers(owner), json={"role": "manager"}).status_code == 409
    assert client.delete(url, headers=auth_headers(owner)).status_code == 409
    me = client.get("/api/v1/me", headers=auth_headers(owner)).json
    assert me["memberships"] == [{"organisation_id": organisation.id, "role": "owner"}]


def test_owner_hands_over_then_steps_down(client):
    owner, successor = make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, successor, "judge")
    base = f"/api/v1/organisations/{organisation.id}/members"
    assert client.put(f"{base}/{successor.id}", headers=auth_headers(owner), json={"role": "owner"}).status_code == 200
    assert client.put(f"{base}/{owner.id}", headers=auth_headers(owner), json={"role": "judge"}).status_code == 200


def test_owner_puts_a_newcomer_gets_one_409_pointing_to_invitations(client):
    owner, stranger = make_user(), make_user()
    organisation = make_organisation(owner)
    base = f"/api/v1/organisations/{organisation.id}/members"
    existing = client.put(f"{base}/{stranger.id}", headers=auth_headers(owner), json={"role": "judge"})
    unknown = client.put(f"{base}/999999", headers=auth_headers(owner), json={"role": "judge"})
    assert existing.status_code == unknown.status_code == 409
    assert existing.mimetype == "application/problem+json" and existing.json == unknown.json
    assert existing.json["detail"] == ("This person is not a member; invite them by email with POST "
                                       f"/api/v1/organisations/{organisation.id}/invitations.")
    assert _member_ids(client, organisation, owner) == [owner.id]


def test_owner_puts_a_role_with_an_email_gets_422(client):
    owner, member = make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, member, "judge")
    response = client.put(f"/api/v1/organisations/{organisation.id}/members/{member.id}",
                          headers=auth_headers(owner), json={"role": "manager", "email": member.email})
    assert response.status_code == 422 and "email" in response.json["errors"]
    assert _member_ids(client, organisation, owner) == [owner.id, member.id]


def test_judge_adds_member_gets_403_before_the_body_is_read(client):
    owner, judge, newcomer = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, judge, "judge")
    response = client.put(f"/api/v1/organisations/{organisation.id}/members/{newcomer.id}",
                          headers=auth_headers(judge), json={"role": "owner"})
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert _member_ids(client, organisation, owner) == [owner.id, judge.id]


def _member_ids(client, organisation, owner) -> list[int]:
    members = client.get(f"/api/v1/organisations/{organisation.id}/members", headers=auth_headers(owner)).json
    return [member["user_id"] for member in members["items"]]


def test_owner_reads_audit_newest_first_with_pages(client):
    owner, member = make_user(), make_user()
    organisation = make_organisation(owner)
    make_org_invitation(organisation, member.email, "audit-token")
    client.post("/api/v1/organisation-invitations/audit-token/accept", headers=auth_headers(member))
    for role in ("manager", "judge"):
        client.put(f"/api/v1/organisations/{organisation.id}/members/{member.id}", headers=auth_headers(owner),
                   json={"role": role})
    first = client.get(f"/api/v1/organisations/{organisation.id}/audit?limit=2", headers=auth_headers(owner)).json
    rest = client.get(f"/api/v1/organisations/{organisation.id}/audit?limit=2&cursor={first['next_cursor']}",
                      headers=auth_headers(owner)).json
    actions = [e["action"] for e in first["items"] + rest["items"]]
    assert actions == ["member.role_changed", "member.role_changed", "member.added"]
    assert rest["next_cursor"] is None
    assert first["items"][0]["actor"] == {"id": owner.id, "display_name": owner.display_name}
    assert first["items"][0]["details"] == {"user_id": member.id, "old_role": "manager", "role": "judge"}
