"""Answer keys kept decompressed per process: read once, never mistaken for a replaced key."""
from datetime import timedelta

from challenges.services import answer_key_cache
from tests.factories import statements_sent
from tests.test_scoring import (  # noqa: F401 (world: a fixture)
    CLASSES, NOON, csv_of, key_file, labels, put_key, read, scored, submitted, upload, world,
)


def _key_reads(sent) -> int:
    return sum("answer_key.data" in statement for statement in sent)


def test_participant_uploads_twice_the_key_is_read_from_the_database_once(app, client, world):
    answer_key_cache.clear()
    challenge = scored(client, world)
    with statements_sent(app) as sent:
        first = submitted(client, challenge.id, world.alice, labels(challenge))
        second = submitted(client, challenge.id, world.bob, labels(challenge, public_wrong=1))
    assert _key_reads(sent) == 1
    assert read(client, first, world.alice)["evaluation"]["status"] == "scored"
    assert read(client, second, world.bob)["evaluation"]["public_score"] < 1


def test_participant_uploads_against_a_replaced_key_is_checked_against_the_new_one(client, world):
    challenge = scored(client, world, opens_at=NOON + timedelta(days=1))
    old_rows = [(r.id, int(r.value)) for r in challenge.rows]
    put_key(client, challenge.id, world.owner, key_file(CLASSES)).get_data()  # the same key: kept arrays reused
    new_key = csv_of([(f"n{i:02d}", value) for i, value in enumerate(CLASSES, start=1)])
    assert put_key(client, challenge.id, world.owner, new_key).status_code == 200
    world.clock.travel(days=1)
    stale = upload(client, challenge.id, world.alice, csv_of(old_rows))
    assert stale.status_code == 422 and "r01" in str(stale.json), stale.json
    fresh = csv_of([(f"n{i:02d}", value) for i, value in enumerate(CLASSES, start=1)])
    assert read(client, submitted(client, challenge.id, world.alice, fresh), world.alice)["evaluation"][
        "public_score"] == 1


def test_with_no_cache_every_upload_reads_the_key(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ANSWER_KEY_CACHE_BYTES", 0)
    answer_key_cache.clear()
    challenge = scored(client, world)
    with statements_sent(app) as sent:
        submitted(client, challenge.id, world.alice, labels(challenge))
        submitted(client, challenge.id, world.bob, labels(challenge))
    assert _key_reads(sent) == 4  # each upload's check and each scoring


def test_keys_beyond_the_memory_limit_are_let_go_oldest_first(app, client, world, monkeypatch):
    answer_key_cache.clear()
    first, second = scored(client, world), scored(client, world, values=CLASSES[::-1])
    submitted(client, first.id, world.alice, labels(first))
    monkeypatch.setitem(app.config, "ANSWER_KEY_CACHE_BYTES", answer_key_cache.kept_bytes())  # room for one key
    submitted(client, second.id, world.alice, labels(second))
    with statements_sent(app) as sent:
        submitted(client, first.id, world.bob, labels(first))
    assert _key_reads(sent) == 1  # let go for the second key, read again once, then kept for the scoring
