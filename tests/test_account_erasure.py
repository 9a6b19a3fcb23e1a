"""An account's own data: the JSON export (GDPR art. 15, 20) and erasure at its holder's request (art. 17)."""
import json
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import select

from challenges import clock
from challenges.extensions import db
from challenges.models import (
    Attachment, AuditEntry, Flag, Invitation, Membership, Notification, ObjectType, OrganisationInvitation,
    OrganisationInvitationStatus, Question, Submission, Team, TeamMember, Token, User,
)
from tests.factories import (
    PASSWORD, add_member, auth_headers, make_award, make_challenge, make_org_invitation, make_organisation,
    make_submission, make_user,
)
from tests.test_notifications import smtp  # noqa: F401  (a fixture)
from tests.test_rate_limits import limited  # noqa: F401  (a fixture)
from tests.threads import race

API = "/api/v1"
ERASED = "Deleted user"


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json(silent=True)


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.json["status"] == status
    return response.json


def erase(client, user, password=PASSWORD):
    """Ask for the user's erasure; the response is closed, so the work scheduled after it (an email) has run."""
    with client.delete(f"{API}/me", headers=auth_headers(user), json={"current_password": password}) as response:
        return response


def add_rows(app, *rows) -> list[int]:
    """Write rows straight to the database; their ids."""
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id if hasattr(row, "id") else None for row in rows]


@pytest.fixture
def world(app):
    """An organisation with an open and a finalised challenge; alice has entered both (and won a prize in the
    finalised one), is in a team, asked a question, flagged something, has a notification; bob has his own."""
    owner, alice, bob = make_user(), make_user(display_name="Alice Martin"), make_user()
    organisation = make_organisation(owner)
    running = make_challenge(organisation, max_team_size=3)
    done = make_challenge(organisation, phase="finalised")
    entry = make_submission(running, alice, title="Alice's entry")
    winner = make_submission(done, alice, title="Alice's winner")
    bobs = make_submission(running, bob, title="Bob's entry")
    award = make_award(done, done.prize_ids[0], winner, owner)
    now = clock.now()
    [team_id] = add_rows(app, Team(challenge_id=running.id, name="Alices", captain_id=alice.id, created_at=now))
    add_rows(app, TeamMember(team_id=team_id, user_id=alice.id, challenge_id=running.id, joined_at=now),
             Attachment(challenge_id=running.id, submission_id=entry.id, uploader_id=alice.id, filename="notes.txt",
                        size=5, content_type="text/plain", sha256="a" * 64, created_at=now),
             Question(challenge_id=running.id, asker_id=alice.id, body="May I use R?", created_at=now),
             Notification(user_id=alice.id, kind="submission.received", data={"submission_id": entry.id},
                          created_at=now),
             Notification(user_id=bob.id, kind="submission.received", data={"submission_id": bobs.id},
                          created_at=now),
             Flag(object_type=ObjectType.SUBMISSION, object_id=bobs.id, user_id=alice.id, reason="Copied",
                  created_at=now),
             Invitation(team_id=team_id, user_id=bob.id, invited_by=alice.id, created_at=now))
    return SimpleNamespace(owner=owner, alice=alice, bob=bob, organisation=organisation, running=running, done=done,
                           entry=entry, winner=winner, bobs=bobs, award=award, team_id=team_id)


def test_user_exports_own_data_as_streamed_json(client, world):
    response = client.get(f"{API}/me/export", headers=auth_headers(world.alice))
    assert response.is_streamed and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="account-{world.alice.id}.json"'
    assert response.headers["Cache-Control"] == "no-store"
    archive = ok(response)
    assert archive["format"] == "challenges.account-export/1"
    assert archive["profile"]["email"] == world.alice.email and "password_hash" not in archive["profile"]
    assert {s["title"] for s in archive["submissions"]} == {"Alice's entry", "Alice's winner"}
    entry = next(s for s in archive["submissions"] if s["id"] == world.entry.id)
    assert [r["number"] for r in entry["revisions"]] == [1] and entry["revisions"][0]["content_sha256"]
    assert [(a["filename"], a["size"], a["sha256"]) for a in entry["attachments"]] == [("notes.txt", 5, "a" * 64)]
    assert sorted(p["challenge_id"] for p in archive["participations"]) == sorted([world.running.id, world.done.id])
    assert all((p["terms_version"], p["registration"]) == (1, "approved") for p in archive["participations"])
    assert [(t["team_id"], t["captain"]) for t in archive["teams"]] == [(world.team_id, True)]
    assert [(i["direction"], i["status"]) for i in archive["team_invitations"]] == [("sent", "pending")]
    assert [q["body"] for q in archive["questions"]] == ["May I use R?"]
    assert [n["data"] for n in archive["notifications"]] == [{"submission_id": world.entry.id}]
    assert [(a["id"], a["prize"]["reward"]) for a in archive["awards"]] == [
        (world.award.id, {"amount": 500000, "currency": "EUR"})]
    assert [(f["object_id"], f["reason"]) for f in archive["flags"]] == [(world.bobs.id, "Copied")]
    assert archive["memberships"] == []


def test_user_exports_no_provisional_award_nor_private_score_before_results_are_final(app, client, world):
    closed = make_challenge(world.organisation, phase="closed")
    entry = make_submission(closed, world.alice)
    make_award(closed, closed.prize_ids[0], entry, world.owner)
    with app.app_context():
        for submission_id in (entry.id, world.winner.id):
            db.session.get(Submission, submission_id).private_score = 0.987
        db.session.commit()
    response = client.get(f"{API}/me/export", headers=auth_headers(world.alice))
    assert response.status_code == 200
    archive = json.loads(response.get_data(as_text=True))
    scores = {item["id"]: item["private_score"] for item in archive["submissions"]}
    assert (scores[entry.id], scores[world.winner.id]) == (None, 0.987)
    assert [award["id"] for award in archive["awards"]] == [world.award.id]


def test_user_exports_nothing_of_others(client, world):
    text = client.get(f"{API}/me/export", headers=auth_headers(world.bob)).get_data(as_text=True)
    archive = json.loads(text)
    assert [s["id"] for s in archive["submissions"]] == [world.bobs.id]
    assert "Alice" not in text and world.alice.email not in text and "May I use R?" not in text
    assert [i["direction"] for i in archive["team_invitations"]] == ["received"]
    assert archive["awards"] == archive["flags"] == archive["questions"] == archive["teams"] == []


def test_member_exports_memberships(client, world):
    archive = ok(client.get(f"{API}/me/export", headers=auth_headers(world.owner)))
    assert [(m["organisation_id"], m["role"]) for m in archive["memberships"]] == [(world.organisation.id, "owner")]
    assert archive["submissions"] == []


def test_user_with_many_submissions_exports_them_all_in_batches(app, client, monkeypatch):
    from challenges.services import account_export

    monkeypatch.setattr(account_export, "BATCH", 7)  # several batches, and one part-filled
    alice = make_user()
    challenge = make_challenge(make_organisation(make_user()), max_submissions_per_participant=None)
    made = [make_submission(challenge, alice, title=f"Entry {n}").id for n in range(30)]
    archive = ok(client.get(f"{API}/me/export", headers=auth_headers(alice)))
    assert [s["id"] for s in archive["submissions"]] == made
    assert all(len(s["revisions"]) == 1 for s in archive["submissions"])


def test_anonymous_exports_unauthorised_401(client):
    assert problem(client.get(f"{API}/me/export"), 401)["title"] == "Unauthorized"


def test_user_exports_too_often_gets_429(limited):  # noqa: F811
    client, alice = limited(RATELIMIT_EXPORT="1/hour"), make_user()
    assert client.get(f"{API}/me/export", headers=auth_headers(alice)).status_code == 200
    refused = client.get(f"{API}/me/export", headers=auth_headers(alice))
    assert problem(refused, 429)["status"] == 429 and int(refused.headers["Retry-After"]) > 0


def test_anonymous_erases_unauthorised_401(client):
    assert problem(client.delete(f"{API}/me", json={"current_password": PASSWORD}), 401)["status"] == 401


def test_user_erases_with_wrong_password_422_and_keeps_account(client, world):
    body = problem(erase(client, world.alice, "not my password"), 422)
    assert body["errors"] == {"current_password": ["The current password is wrong."]}
    assert ok(client.get(f"{API}/me", headers=auth_headers(world.alice)))["display_name"] == "Alice Martin"


def test_user_erases_without_password_422(client, world):
    body = problem(client.delete(f"{API}/me", headers=auth_headers(world.alice), json={}), 422)
    assert list(body["errors"]) == ["current_password"]


def test_last_owner_erases_conflict_409_names_organisation(client, world):
    body = problem(erase(client, world.owner), 409)
    assert f'organisation #{world.organisation.id} "{world.organisation.name}"' in body["detail"]
    assert ok(client.get(f"{API}/me", headers=auth_headers(world.owner)))["memberships"]


def test_last_owner_erases_in_french_conflict_409_translated(client, world):
    response = client.delete(f"{API}/me", json={"current_password": PASSWORD},
                             headers=auth_headers(world.owner) | {"Accept-Language": "fr"})
    assert problem(response, 409)["detail"].startswith(
        f"Vous êtes le dernier propriétaire de l'organisation n° {world.organisation.id} ")


def test_co_owner_erases_and_leaves_organisation(app, client, world):
    other = make_user()
    add_member(world.organisation, other, "owner")
    assert erase(client, other).status_code == 204
    with app.app_context():
        assert db.session.scalars(select(Membership.user_id).where(
            Membership.organisation_id == world.organisation.id)).all() == [world.owner.id]
    audit = ok(client.get(f"{API}/organisations/{world.organisation.id}/audit", headers=auth_headers(world.owner)))
    assert [(e["action"], e["actor"]["display_name"]) for e in audit["items"]][0] == ("member.removed", ERASED)


def test_user_erases_account_and_can_no_longer_sign_in(client, world):
    assert erase(client, world.alice).status_code == 204
    assert problem(client.get(f"{API}/me", headers=auth_headers(world.alice)), 401)["status"] == 401
    signed_in = client.post(f"{API}/tokens", json={"email": world.alice.email, "password": PASSWORD})
    assert problem(signed_in, 401)["detail"] == "The email or the password is wrong."
    for password in ("not-a-password-of-anyone", PASSWORD):  # the first: what unknown accounts are checked against
        placeholder = client.post(f"{API}/tokens", json={"email": f"erased-user-{world.alice.id}",
                                                         "password": password})
        assert problem(placeholder, 401)["detail"] == "The email or the password is wrong."


def test_user_erases_account_personal_data_goes(app, client, world):
    assert erase(client, world.alice).status_code == 204
    with app.app_context():
        user = db.session.get(User, world.alice.id)
        assert (user.email, user.display_name, user.password_hash, user.locale, user.time_zone) == (
            f"erased-user-{world.alice.id}", ERASED, None, None, None)
        assert user.erased_at is not None and not user.email_notifications
        assert db.session.scalars(select(Token.revoked_at).where(Token.user_id == world.alice.id)).all() != [None]
        assert db.session.scalar(select(Notification.id).where(Notification.user_id == world.alice.id)) is None
        assert db.session.scalar(select(TeamMember.team_id).where(TeamMember.user_id == world.alice.id)) is None
        assert db.session.get(Team, world.team_id) is None  # she was its last member: it dissolved
        assert db.session.get(Submission, world.entry.id).team_id is None
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                                                   AuditEntry.object_id == world.alice.id)).all() \
            == ["user.erased"]


def test_user_erases_account_and_notice_email_arrives(client, world, smtp):  # noqa: F811
    smtp.start()
    assert erase(client, world.alice).status_code == 204
    [(recipients, message)] = smtp.inbox.messages()
    assert recipients == [world.alice.email] and message["Subject"] == "Your account has been deleted"
    assert "Hello Alice Martin," in message.get_content() and message["Content-Language"] == "en"


def test_unverified_user_erases_account_no_email_sent(app, client, smtp):  # noqa: F811
    smtp.start()
    unverified = make_user(email_verified_at=None)
    assert erase(client, unverified).status_code == 204
    assert smtp.inbox.messages() == []


def test_french_user_erases_account_and_notice_is_in_french(client, smtp):  # noqa: F811
    smtp.start()
    user = make_user(locale="fr", display_name="Amélie")
    assert erase(client, user).status_code == 204
    [(_recipients, message)] = smtp.inbox.messages()
    assert message["Subject"] == "Votre compte a été supprimé" and message["Content-Language"] == "fr"
    assert "sous le nom « Deleted user »" in message.get_content()


def test_invitee_erases_and_pending_invitation_goes(app, client, world):
    assert erase(client, world.bob).status_code == 204
    with app.app_context():
        assert db.session.scalar(select(Invitation.id).where(Invitation.user_id == world.bob.id)) is None


def test_invitee_erases_and_organisation_invitations_forget_the_address(app, client, world):
    pending = make_org_invitation(world.organisation, world.bob.email, "pending-link")
    answered = make_org_invitation(world.organisation, world.bob.email, "declined-link",
                                   status=OrganisationInvitationStatus.DECLINED)
    assert erase(client, world.bob).status_code == 204
    with app.app_context():
        assert db.session.get(OrganisationInvitation, pending) is None
        kept = db.session.get(OrganisationInvitation, answered)
        assert (kept.email, kept.status) == (f"erased-user-{world.bob.id}", OrganisationInvitationStatus.DECLINED)


def test_organisation_reads_erased_author_submission_as_deleted_user(client, world):
    assert erase(client, world.alice).status_code == 204
    submission = ok(client.get(f"{API}/submissions/{world.entry.id}", headers=auth_headers(world.owner)))
    assert submission["participant"] == {"id": world.alice.id, "display_name": ERASED}
    assert submission["title"] == "Alice's entry"


def test_erased_winner_award_still_listed(client, world):
    assert erase(client, world.alice).status_code == 204
    awards = ok(client.get(f"{API}/challenges/{world.done.id}/awards"))["items"]
    assert [(a["id"], a["submission_id"]) for a in awards] == [(world.award.id, world.winner.id)]


def test_anonymous_registers_with_erased_email_201(client, world):
    assert erase(client, world.alice).status_code == 204
    created = ok(client.post(f"{API}/users", json={"email": world.alice.email, "password": PASSWORD,
                                                   "display_name": "Alice again"}), 201)
    assert created["id"] != world.alice.id and created["email"] == world.alice.email
    assert client.post(f"{API}/tokens", json={"email": world.alice.email, "password": PASSWORD}).status_code == 201


def test_captain_invites_erased_user_422(client, world):
    carol = make_user()
    team = ok(client.post(f"{API}/challenges/{world.running.id}/teams", headers=auth_headers(carol),
                          json={"name": "Carols"}), 201)
    assert erase(client, world.bob).status_code == 204
    invited = client.post(f"{API}/teams/{team['id']}/invitations", headers=auth_headers(carol),
                          json={"user_id": world.bob.id})
    assert list(problem(invited, 422)["errors"]) == ["user_id"]


def test_user_erases_while_submitting_no_orphan(app, api):
    alice = make_user()
    organisation = make_organisation(make_user())
    challenge = make_challenge(organisation, max_submissions_per_participant=None)
    headers = auth_headers(alice)
    body = {"title": "Raced", "summary": "s", "body": "b", "accept_terms": True}
    responses = race(
        lambda: requests.delete(f"{api}/me", headers=headers, json={"current_password": PASSWORD}, timeout=30),
        *(lambda: requests.post(f"{api}/challenges/{challenge.id}/submissions", headers=headers, json=body,
                                timeout=30) for _ in range(3)))
    assert responses[0].status_code == 204
    assert {r.status_code for r in responses[1:]} <= {201, 401}
    with app.app_context():
        stored = db.session.scalars(select(Submission).where(Submission.challenge_id == challenge.id)).all()
        assert len(stored) == sum(r.status_code == 201 for r in responses[1:])
        assert {s.participant.display_name for s in stored} <= {ERASED}
        assert db.session.scalar(select(Token.id).where(Token.user_id == alice.id, Token.revoked_at.is_(None))) \
            is None
    assert requests.get(f"{api}/me", headers=headers, timeout=30).status_code == 401


def test_user_erases_twice_at_once_one_succeeds(app, api):
    alice, owner = make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, alice, "owner")
    challenge = make_challenge(make_organisation(make_user()), max_team_size=3)
    carol = make_user()
    now = clock.now()
    [team_id] = add_rows(app, Team(challenge_id=challenge.id, name="Shared", captain_id=alice.id, created_at=now))
    add_rows(app, *(TeamMember(team_id=team_id, user_id=user.id, challenge_id=challenge.id, joined_at=now)
                    for user in (alice, carol)))
    responses = race(*(lambda: requests.delete(f"{api}/me", headers=auth_headers(alice),
                                               json={"current_password": PASSWORD}, timeout=30) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [204, 401]
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user")).all() \
            == ["user.erased"]
        assert db.session.scalars(select(Membership.user_id).where(
            Membership.organisation_id == organisation.id)).all() == [owner.id]
        assert db.session.get(Team, team_id).captain_id == carol.id
        assert db.session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id)).all() \
            == [carol.id]
