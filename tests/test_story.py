"""The core loop, end to end through the HTTP API."""
import hashlib
import json

from challenges.models import AuditEntry
from tests.factories import count

CLOSES = "2030-01-04T12:00:00+00:00"


def _sign_up(client, email, name):
    client.post("/api/v1/users", json={"email": email, "password": "long enough password", "display_name": name})
    token = client.post("/api/v1/tokens", json={"email": email.upper(), "password": "long enough password"})
    assert token.status_code == 201
    return {"Authorization": f"Bearer {token.json['token']}"}


def _ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json if response.data else None


def test_owner_runs_a_challenge_from_draft_to_paid_prizes(client, time_machine):
    owner = _sign_up(client, "owner@example.com", "Olivia")
    manager = _sign_up(client, "manager@example.com", "Manuel")
    judge = _sign_up(client, "judge@example.com", "Judith")
    alice, bob, carol = (_sign_up(client, f"{n}@example.com", n.title()) for n in ("alice", "bob", "carol"))

    org = _ok(client.post("/api/v1/organisations", headers=owner, json={"name": "Open Water Lab"}), 201)
    for email, role, headers in (("manager@example.com", "manager", manager), ("judge@example.com", "judge", judge)):
        # no SMTP_URL here: the token comes back to the owner, who passes the link on
        invited = _ok(client.post(f"/api/v1/organisations/{org['id']}/invitations", headers=owner,
                                  json={"email": email, "role": role}), 201)
        _ok(client.post(f"/api/v1/organisation-invitations/{invited['token']}/accept", headers=headers))

    prizes = [{"title": t, "reward": {"amount": a, "currency": "EUR"}}
              for t, a in [("First", 5_000_000), ("Second", 2_000_000), ("Third", 1_000_000)]]
    draft = _ok(client.post("/api/v1/challenges", headers=owner, json={
        "organisation_id": org["id"], "title": "Predict floods", "summary": "48 hours ahead", "tags": ["Climate"],
        "closes_at": CLOSES, "max_submissions_per_participant": 2, "prizes": prizes}), 201)
    assert (draft["status"], draft["phase"], draft["tags"]) == ("draft", "draft", ["climate"])
    assert client.get(f"/api/v1/challenges/{draft['id']}", headers=alice).status_code == 404
    published = _ok(client.post(f"/api/v1/challenges/{draft['id']}/publish", headers=owner))
    assert published["phase"] == "open" and published["opens_at"] == "2030-01-01T12:00:00+00:00"
    cid = published["id"]

    listed = _ok(client.get("/api/v1/challenges?phase=open&q=FLOOD"))
    assert [c["id"] for c in listed["items"]] == [cid]
    assert _ok(client.get(f"/api/v1/challenges/{cid}"))["title"] == "Predict floods"

    def submit(headers, title):
        return client.post(f"/api/v1/challenges/{cid}/submissions", headers=headers,
                           json={"title": title, "summary": "s", "body": "b", "accept_terms": True})

    receipt = _ok(submit(alice, "Alice's model"), 201)
    content = {"title": "Alice's model", "summary": "s", "body": "b", "links": []}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert receipt["content_sha256"] == hashlib.sha256(canonical).hexdigest()
    assert (receipt["submitted_at"], receipt["revision"]) == ("2030-01-01T12:00:00+00:00", 1)
    assert submit(alice, "no terms").status_code == 201
    assert _ok(submit(alice, "third"), 409)["detail"].startswith("You have reached")
    time_machine.travel(hours=1)
    revised = _ok(client.patch(f"/api/v1/submissions/{receipt['id']}", headers=alice, json={"body": "better"}))
    assert revised["revision"] == 2 and revised["content_sha256"] != receipt["content_sha256"]
    extra = client.get(f"/api/v1/challenges/{cid}/submissions", headers=alice).json["items"][1]
    _ok(client.post(f"/api/v1/submissions/{extra['id']}/withdraw", headers=alice))
    bob_entry = _ok(submit(bob, "Bob's model"), 201)
    carol_entry = _ok(submit(carol, "Carol's model"), 201)
    spam = _ok(submit(carol, "Carol's spam"), 201)
    assert _ok(client.get(f"/api/v1/challenges/{cid}"))["submission_count"] == 4

    time_machine.now = time_machine.now.replace(day=4, hour=11, minute=59, second=59, microsecond=999999)
    last_second = _ok(submit(bob, "Just in time"), 201)
    time_machine.travel(microseconds=1)
    assert submit(bob, "Too late").status_code == 409
    assert client.patch(f"/api/v1/submissions/{last_second['id']}", headers=bob, json={"body": "x"}).status_code == 409

    everything = _ok(client.get(f"/api/v1/challenges/{cid}/submissions", headers=manager))
    assert len(everything["items"]) == 6
    _ok(client.post(f"/api/v1/submissions/{spam['id']}/disqualify", headers=manager, json={"reason": "Copied"}))
    awards = {}
    for prize, entry in zip(published["prizes"], [receipt, bob_entry, carol_entry], strict=True):
        awards[prize["id"]] = _ok(client.post(f"/api/v1/challenges/{cid}/awards", headers=manager,
                                              json={"prize_id": prize["id"], "submission_id": entry["id"]}), 201)
    third = published["prizes"][2]["id"]
    assert client.post(f"/api/v1/challenges/{cid}/awards", headers=manager,
                       json={"prize_id": third, "submission_id": last_second["id"]}).status_code == 409
    _ok(client.delete(f"/api/v1/challenges/{cid}/awards/{awards[third]['id']}", headers=manager), 204)
    awards[third] = _ok(client.post(f"/api/v1/challenges/{cid}/awards", headers=manager,
                                    json={"prize_id": third, "submission_id": last_second["id"]}), 201)
    assert client.get(f"/api/v1/challenges/{cid}/results").status_code == 404

    finalised = _ok(client.post(f"/api/v1/challenges/{cid}/finalise", headers=manager))
    assert finalised["phase"] == "finalised"
    results = _ok(client.get(f"/api/v1/challenges/{cid}/results"))["items"]
    assert [(r["prize"]["title"], r["participant"]["display_name"]) for r in results] == \
        [("First", "Alice"), ("Second", "Bob"), ("Third", "Bob")]
    assert _ok(client.get(f"/api/v1/submissions/{bob_entry['id']}", headers=carol))["title"] == "Bob's model"
    assert client.get(f"/api/v1/submissions/{spam['id']}", headers=alice).status_code == 404
    for award in awards.values():
        paid = _ok(client.post(f"/api/v1/awards/{award['id']}/payout", headers=owner, json={"reference": "SEPA-1"}))
        assert (paid["status"], paid["payout_reference"]) == ("paid", "SEPA-1")

    log = _ok(client.get(f"/api/v1/organisations/{org['id']}/audit?limit=100", headers=owner))["items"]
    actions = [entry["action"] for entry in log]
    for action in ("challenge.published", "submission.received", "submission.revised", "submission.withdrawn",
                   "submission.disqualified", "award.created", "award.revoked", "challenge.finalised", "award.paid"):
        assert action in actions
    assert count(AuditEntry) >= len(log)
