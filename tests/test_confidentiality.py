"""What must not leak: authors to blind judges, hidden winners to the public, and lost files as errors."""
import io
from pathlib import Path

from challenges.extensions import db
from challenges.models import Attachment, Submission
from tests.factories import (
    add_member, auth_headers, make_award, make_challenge, make_organisation, make_submission, make_user,
)
from tests.test_scoring import labels, scored, select, submitted, world  # noqa: F401  (world is a fixture)

API = "/api/v1"
BLIND = {"blind": True, "normalise": False, "allow_unassigned": True, "disagreement_threshold": 0.25}


def _team(client, challenge, captain, member) -> int:
    team = client.post(f"{API}/challenges/{challenge.id}/teams", json={"name": "Crew"}, headers=auth_headers(captain))
    invitation = client.post(f"{API}/teams/{team.json['id']}/invitations", json={"user_id": member.id},
                             headers=auth_headers(captain)).json
    assert client.post(f"{API}/invitations/{invitation['id']}/accept", headers=auth_headers(member)).status_code == 200
    return team.json["id"]


def test_blind_judge_learns_no_author_from_files_awards_or_teams(client, time_machine):
    owner, judge, alice, bob = make_user(), make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, judge, "judge")
    challenge = make_challenge(organisation, "open", max_team_size=2, judging=BLIND)
    team_id = _team(client, challenge, alice, bob)
    entry = client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(alice),
                        json={"title": "Ours", "summary": "s", "body": "b", "accept_terms": True}).json
    client.post(f"{API}/submissions/{entry['id']}/attachments", headers=auth_headers(alice),
                data={"file": (io.BytesIO(b"notes"), "notes.txt")}, content_type="multipart/form-data")
    time_machine.travel(days=8)
    assert client.post(f"{API}/challenges/{challenge.id}/awards", headers=auth_headers(owner), json={
        "prize_id": challenge.prize_ids[0], "submission_id": entry["id"]}).status_code == 201
    as_judge = auth_headers(judge)
    files = client.get(f"{API}/submissions/{entry['id']}/attachments", headers=as_judge).json["items"]
    awards = client.get(f"{API}/challenges/{challenge.id}/awards", headers=as_judge).json["items"]
    assert [f["uploader_id"] for f in files] == [None] and [a["team_split"] for a in awards] == [None]
    assert client.get(f"{API}/challenges/{challenge.id}/teams", headers=as_judge).json["items"] == []
    assert client.get(f"{API}/teams/{team_id}", headers=as_judge).status_code == 404
    owners_view = client.get(f"{API}/challenges/{challenge.id}/awards", headers=auth_headers(owner)).json["items"]
    assert {share["user_id"] for share in owners_view[0]["team_split"]} == {alice.id, bob.id}


def test_public_results_leave_out_a_winner_that_moderation_hid(client):
    owner, winner, admin = make_user(), make_user(), make_user(is_admin=True)
    challenge = make_challenge(make_organisation(owner), "finalised")
    entry = make_submission(challenge, winner, title="Offensive title")
    make_award(challenge, challenge.prize_ids[0], entry, owner)
    decision = client.post(f"{API}/admin/moderation/submission/{entry.id}", json={"decision": "hide"},
                           headers=auth_headers(admin))
    assert decision.status_code == 200
    [public] = client.get(f"{API}/challenges/{challenge.id}/results").json["items"]
    assert (public["submission"], public["participant"]) == (None, None)
    [seen_by_admin] = client.get(f"{API}/challenges/{challenge.id}/results", headers=auth_headers(admin)).json["items"]
    assert seen_by_admin["submission"]["title"] == "Offensive title"


def test_file_lost_from_the_store_is_a_logged_503_not_a_crash(app, client):
    owner, alice = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "open")
    entry = make_submission(challenge, alice)
    uploaded = client.post(f"{API}/submissions/{entry.id}/attachments", headers=auth_headers(alice),
                           data={"file": (io.BytesIO(b"a,b\n1,2\n"), "data.csv")}, content_type="multipart/form-data")
    sha = uploaded.json["sha256"]
    root = Path(app.config["STORAGE_URL"].removeprefix("file://"))
    (root / sha[:2] / sha).unlink()
    response = client.get(f"{API}/attachments/{uploaded.json['id']}", headers=auth_headers(alice))
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.get(Attachment, uploaded.json["id"]) is not None  # nothing is lost but the bytes


def test_every_teammate_learns_their_prize_when_results_are_out(client, time_machine):
    owner, alice, bob = make_user(), make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "open", max_team_size=2)
    _team(client, challenge, alice, bob)
    entry = client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(alice),
                        json={"title": "Ours", "summary": "s", "body": "b", "accept_terms": True}).json
    time_machine.travel(days=8)
    client.post(f"{API}/challenges/{challenge.id}/awards", headers=auth_headers(owner),
                json={"prize_id": challenge.prize_ids[0], "submission_id": entry["id"]})
    assert client.post(f"{API}/challenges/{challenge.id}/finalise", headers=auth_headers(owner)).status_code == 200
    for person in (alice, bob):
        [news] = [n for n in client.get(f"{API}/notifications", headers=auth_headers(person)).json["items"]
                  if n["kind"] == "challenge.finalised"]
        assert [award["submission_id"] for award in news["data"]["awards"]] == [entry["id"]]


def test_someone_elses_invitation_with_a_body_is_404_before_422(client):
    owner, captain, invitee, stranger = make_user(), make_user(), make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "open", max_team_size=2)
    team = client.post(f"{API}/challenges/{challenge.id}/teams", json={"name": "Crew"}, headers=auth_headers(captain))
    invitation = client.post(f"{API}/teams/{team.json['id']}/invitations", json={"user_id": invitee.id},
                             headers=auth_headers(captain)).json
    for verb in ("accept", "decline"):
        response = client.post(f"{API}/invitations/{invitation['id']}/{verb}", json={"x": 1},
                               headers=auth_headers(stranger))
        assert response.status_code == 404


def test_joining_a_team_clears_the_final_selections_that_would_exceed_the_limit(app, client, world):
    challenge = scored(client, world, selection=1, max_team_size=2)
    mine = submitted(client, challenge.id, world.alice, labels(challenge, public_wrong=1))
    theirs = submitted(client, challenge.id, world.bob, labels(challenge, private_wrong=2))
    assert select(client, challenge.id, world.alice, [mine]).status_code == 200
    assert select(client, challenge.id, world.bob, [theirs]).status_code == 200
    _team(client, challenge, world.alice, world.bob)
    assert _selected(app, mine, theirs) == [False, False]  # two choices for a team that may make one
    assert select(client, challenge.id, world.bob, [theirs, mine]).status_code == 422
    assert select(client, challenge.id, world.alice, [theirs]).status_code == 200  # a teammate's entry, chosen
    assert _selected(app, mine, theirs) == [False, True]


def _selected(app, *submission_ids) -> list[bool]:
    with app.app_context():
        return [db.session.get(Submission, i).selected for i in submission_ids]
