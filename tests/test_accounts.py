"""Registration, sign-in, tokens and the signed-in user."""
from challenges.models import User
from tests.factories import auth_headers, count, make_organisation, make_user


def _register(client, email="Ann@Example.com", password="long enough password", name="Ann"):
    return client.post("/api/v1/users", json={"email": email, "password": password, "display_name": name})


def test_anonymous_registers_and_sees_own_account(client):
    response = _register(client, name="  Ann  ")
    assert response.status_code == 201
    assert response.json | {"id": 0, "created_at": ""} == {
        "id": 0, "display_name": "Ann", "created_at": "", "email": "ann@example.com", "is_admin": False,
        "email_notifications": True, "memberships": []}


def test_anonymous_registers_blank_name_gets_422(client):
    response = _register(client, name="   ")
    assert response.status_code == 422 and "display_name" in response.json["errors"]
    assert count(User) == 0


def test_anonymous_registers_taken_email_in_other_case_gets_409(client):
    _register(client)
    response = _register(client, email="ANN@example.COM")
    assert response.status_code == 409
    assert count(User) == 1


def test_anonymous_registers_weak_password_gets_422(client):
    response = _register(client, password="short")
    assert response.status_code == 422
    assert "password" in response.json["errors"]
    assert count(User) == 0


def test_anonymous_signs_in_with_any_case_of_email(client):
    _register(client)
    response = client.post("/api/v1/tokens", json={"email": "ann@EXAMPLE.com", "password": "long enough password"})
    assert response.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.json["email"] == "ann@example.com" and me.json["is_admin"] is False


def test_anonymous_signs_in_wrongly_gets_one_answer_for_unknown_email_and_wrong_password(client):
    _register(client)
    wrong_password = client.post("/api/v1/tokens", json={"email": "ann@example.com", "password": "not the one!"})
    unknown_email = client.post("/api/v1/tokens", json={"email": "bob@example.com", "password": "whatever12"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json == unknown_email.json
    assert wrong_password.headers["WWW-Authenticate"].startswith("Bearer")


def test_user_signs_out_and_token_stops_working_at_once(client):
    user = make_user()
    assert client.delete("/api/v1/tokens", headers=auth_headers(user)).status_code == 204
    assert client.get("/api/v1/me", headers=auth_headers(user)).status_code == 401


def test_user_with_expired_token_gets_401(client, time_machine):
    client.post("/api/v1/users", json={"email": "t@example.com", "password": "long enough password",
                                       "display_name": "T"})
    token = client.post("/api/v1/tokens", json={"email": "t@example.com", "password": "long enough password"}).json
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    time_machine.travel(days=7, seconds=1)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_user_with_malformed_authorization_header_gets_401(client):
    for header in ("Basic abc", "Bearer", "Bearer ", "token"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_member_reads_me_with_memberships(client):
    user = make_user()
    organisation = make_organisation(user)
    me = client.get("/api/v1/me", headers=auth_headers(user)).json
    assert me["memberships"] == [{"organisation_id": organisation.id, "role": "owner"}]
    assert me["email"] == user.email


def test_anonymous_reads_public_endpoint_with_bad_token_gets_401(client):
    response = client.get("/api/v1/challenges", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401
