"""Registration, sign-in, tokens and the signed-in user."""
import hashlib
from datetime import timedelta

from sqlalchemy import select

from challenges import clock
from challenges.extensions import db
from challenges.models import Token, User
from tests.factories import auth_headers, count, make_organisation, make_user


def _register(client, email="Ann@Example.com", password="long enough password", name="Ann"):
    return client.post("/api/v1/users", json={"email": email, "password": password, "display_name": name})


def test_anonymous_registers_and_sees_own_account(client):
    response = _register(client, name="  Ann  ")
    assert response.status_code == 201
    assert response.json | {"id": 0, "created_at": ""} == {
        "id": 0, "display_name": "Ann", "created_at": "", "email": "ann@example.com", "is_admin": False,
        "email_notifications": True, "memberships": [], "email_verified": True, "pending_email": None,
        "locale": None, "time_zone": None}


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


# Suspension


def _suspend(client, admin, user, method="post"):
    response = getattr(client, method)(f"/api/v1/admin/users/{user.id}/suspend", headers=auth_headers(admin),
                                       json={"reason": "Spam"} if method == "post" else None)
    assert response.status_code == (200 if method == "post" else 204), response.json
    return response


def _revoked(app, user) -> list:
    with app.app_context():
        return [token.revoked_at for token in db.session.scalars(select(Token).where(Token.user_id == user.id))]


def test_admin_suspends_user_and_every_token_is_revoked_for_good(app, client):
    admin, user = make_user(is_admin=True), make_user()
    second = client.post("/api/v1/tokens", json={"email": user.email, "password": user.password}).json["token"]
    _suspend(client, admin, user)
    assert all(_revoked(app, user)) and len(_revoked(app, user)) == 2
    _suspend(client, admin, user, "delete")
    for header in (auth_headers(user), {"Authorization": f"Bearer {second}"}):
        response = client.get("/api/v1/me", headers=header)
        assert (response.status_code, response.json["status"]) == (401, 401)
    fresh = client.post("/api/v1/tokens", json={"email": user.email, "password": user.password})
    assert fresh.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh.json['token']}"})
    assert (me.status_code, me.json["id"]) == (200, user.id)


def test_admin_lifts_suspension_and_a_token_issued_while_it_took_hold_dies_too(app, client):
    admin, user = make_user(is_admin=True), make_user()
    _suspend(client, admin, user)
    with app.app_context():  # a sign-in that checked the account just before the suspension was committed
        raw = "issued-in-the-race"
        db.session.add(Token(user_id=user.id, token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                             created_at=clock.now(), expires_at=clock.now() + timedelta(days=1)))
        db.session.commit()
    _suspend(client, admin, user, "delete")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert all(_revoked(app, user))


def test_admin_lifts_suspension_of_unsuspended_user_and_their_tokens_live_on(app, client):
    admin, user = make_user(is_admin=True), make_user()
    _suspend(client, admin, user, "delete")
    assert client.get("/api/v1/me", headers=auth_headers(user)).status_code == 200
    assert _revoked(app, user) == [None]
