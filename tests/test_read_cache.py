"""The read cache: anonymous reads of public challenges come from Redis, and no change or phase boundary is missed."""
import os
from datetime import timedelta

import pytest
import redis

from challenges import read_cache
from tests.factories import (
    auth_headers, make_challenge, make_organisation, make_submission, make_user, statements_sent,
)

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis: set TEST_REDIS_URL")


def _submit(client, challenge_id, user):
    body = {"title": "Entry", "summary": "s", "body": "b", "accept_terms": True}
    return client.post(f"/api/v1/challenges/{challenge_id}/submissions", json=body, headers=auth_headers(user))


def test_anonymous_rereads_challenge_from_cache_without_a_query(app, client):
    challenge = make_challenge(make_organisation(make_user()))
    url = f"/api/v1/challenges/{challenge.id}"
    first = client.get(url)
    with statements_sent(app) as sent:
        again = client.get(url)
    assert again.status_code == 200 and again.json == first.json and sent == []
    assert again.headers["ETag"] == first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_anonymous_rereads_list_from_cache_and_ignores_unknown_parameters(app, client):
    make_challenge(make_organisation(make_user()))
    first = client.get("/api/v1/challenges?limit=5")
    with statements_sent(app) as sent:
        again = client.get("/api/v1/challenges?limit=5&utm_source=x")
    assert again.json == first.json and len(again.json["items"]) == 1 and sent == []


def test_anonymous_sees_an_amendment_at_once(client):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner))
    url = f"/api/v1/challenges/{challenge.id}"
    assert client.get(url).json["title"] != "Amended"
    assert client.get("/api/v1/challenges").status_code == 200
    assert client.patch(url, json={"title": "Amended"}, headers=auth_headers(owner)).status_code == 200
    assert client.get(url).json["title"] == "Amended"
    assert client.get("/api/v1/challenges").json["items"][0]["title"] == "Amended"


def test_anonymous_sees_submission_count_move_with_each_submission_and_withdrawal(client):
    challenge = make_challenge(make_organisation(make_user()))
    url, participant = f"/api/v1/challenges/{challenge.id}", make_user()
    assert client.get(url).json["submission_count"] == 0
    submitted = _submit(client, challenge.id, participant)
    assert submitted.status_code == 201
    assert client.get(url).json["submission_count"] == 1
    assert client.get("/api/v1/challenges").json["items"][0]["submission_count"] == 1
    withdrawn = client.post(f"/api/v1/submissions/{submitted.json['id']}/withdraw", headers=auth_headers(participant))
    assert withdrawn.status_code == 200
    assert client.get(url).json["submission_count"] == 0


def test_anonymous_sees_the_phase_change_at_the_deadline_without_any_write(client, time_machine):
    challenge = make_challenge(make_organisation(make_user()), closes_at=time_machine.now + timedelta(minutes=5))
    url = f"/api/v1/challenges/{challenge.id}"
    assert client.get(url).json["phase"] == "open"
    assert [c["phase"] for c in client.get("/api/v1/challenges").json["items"]] == ["open"]
    time_machine.travel(minutes=5)
    assert client.get(url).json["phase"] == "closed"
    assert [c["phase"] for c in client.get("/api/v1/challenges").json["items"]] == ["closed"]


def test_anonymous_list_of_one_phase_gains_a_challenge_that_enters_it(client, time_machine):
    organisation = make_organisation(make_user())
    make_challenge(organisation, phase="open", closes_at=time_machine.now + timedelta(days=30))
    upcoming = make_challenge(organisation, phase="upcoming", opens_at=time_machine.now + timedelta(hours=1),
                              closes_at=time_machine.now + timedelta(days=2))
    assert len(client.get("/api/v1/challenges?phase=open").json["items"]) == 1
    time_machine.travel(hours=1)
    ids = [c["id"] for c in client.get("/api/v1/challenges?phase=open").json["items"]]
    assert upcoming.id in ids and len(ids) == 2


def test_anonymous_no_longer_sees_a_challenge_hidden_by_moderation(client):
    admin = make_user(is_admin=True)
    challenge = make_challenge(make_organisation(make_user()))
    url = f"/api/v1/challenges/{challenge.id}"
    assert client.get(url).status_code == 200
    decided = client.post(f"/api/v1/admin/moderation/challenge/{challenge.id}", json={"decision": "hide"},
                          headers=auth_headers(admin))
    assert decided.status_code == 200
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/challenges").json["items"] == []


def test_signed_in_member_reads_around_the_cache(client):
    owner = make_user()
    organisation = make_organisation(owner)
    draft = make_challenge(organisation, phase="draft")
    assert client.get(f"/api/v1/challenges/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/challenges/{draft.id}", headers=auth_headers(owner)).status_code == 200
    assert client.get("/api/v1/challenges?phase=draft").json["items"] == []
    mine = client.get("/api/v1/challenges?phase=draft", headers=auth_headers(owner)).json["items"]
    assert [c["id"] for c in mine] == [draft.id]


def test_anonymous_read_with_bad_token_is_401_not_a_cached_answer(client):
    challenge = make_challenge(make_organisation(make_user()))
    assert client.get(f"/api/v1/challenges/{challenge.id}").status_code == 200
    answer = client.get(f"/api/v1/challenges/{challenge.id}", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"


def test_reads_and_writes_go_on_when_redis_is_unreachable(app, client):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner))
    url = f"/api/v1/challenges/{challenge.id}"
    app.config["READ_CACHE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        assert client.get(url).status_code == 200
        assert client.patch(url, json={"title": "Offline edit"}, headers=auth_headers(owner)).status_code == 200
        assert client.get(url).json["title"] == "Offline edit"
    finally:
        app.config["READ_CACHE_URL"] = os.environ["TEST_REDIS_URL"]


def test_a_flushed_redis_never_revives_an_older_answer(app, client):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner))
    url = f"/api/v1/challenges/{challenge.id}"
    assert client.get(url).json["title"] != "Renamed"
    with app.app_context():
        store = redis.Redis.from_url(app.config["READ_CACHE_URL"])
        stale = {key: store.get(key) for key in store.scan_iter(f"{app.config['READ_CACHE_PREFIX']}:challenge:*")}
    assert client.patch(url, json={"title": "Renamed"}, headers=auth_headers(owner)).status_code == 200
    with app.app_context():
        store.delete(f"{app.config['READ_CACHE_PREFIX']}:generation")  # evicted, or Redis restarted
        for key, value in stale.items():
            store.set(key, value)  # while an old answer survived
    assert client.get(url).json["title"] == "Renamed"
    with app.app_context():
        read_cache.drop_all()


def test_a_foreign_value_under_a_cache_key_is_a_miss_not_a_500(app, client):
    challenge = make_challenge(make_organisation(make_user()))
    url = f"/api/v1/challenges/{challenge.id}"
    expected = client.get(url).json
    with app.app_context():
        store = redis.Redis.from_url(app.config["READ_CACHE_URL"])
        [key] = store.scan_iter(f"{app.config['READ_CACHE_PREFIX']}:challenge:{url}:*")
        store.set(key, b"not-an-entry")
    answer = client.get(url)
    assert answer.status_code == 200 and answer.json == expected
