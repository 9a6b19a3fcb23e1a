"""The read cache: anonymous answers about public challenges, kept in Redis and shared by every worker.

Every entry carries the generation it was built at. A commit that touched a challenge, a prize or a tag
moves the generation on, so every entry built before it is stale at once, in every worker; an entry also
lapses at the next phase boundary its answer depends on, since phases move with the clock, not with writes.
While Redis is away the database answers; a change made meanwhile moves the generation on once Redis answers again.
"""
import logging
import time
from datetime import datetime

from flask import current_app, has_app_context
from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from challenges import clock, redis_circuit
from challenges.models import Challenge, ChallengeTag, Participation, Prize

WATCHED = (Challenge, Prize, ChallengeTag, Participation)  # registrations move the challenge's counts
WATCHED_TABLES = frozenset(model.__table__ for model in WATCHED)
CHANGED = "read_cache_changed"  # session.info flag: this transaction wrote something the cache shows
log = logging.getLogger(__name__)
_undropped: set[str] = set()  # caches a change could not be announced to: the generation moves when they answer


def _url() -> str | None:
    """The cache's Redis, when the cache is configured and switched on."""
    config = current_app.config
    url = config.get("READ_CACHE_URL")
    return url if url and config["READ_CACHE_SECONDS"] > 0 else None


def _generation_key() -> str:
    return f"{current_app.config['READ_CACHE_PREFIX']}:generation"


def entry_key(name: str) -> str:
    """The Redis key of one cached answer."""
    return f"{current_app.config['READ_CACHE_PREFIX']}:{name}"


def lookup(key: str) -> tuple[bytes | None, bytes | None]:
    """The cached body (None when missing or stale) and the current generation (None when the cache is off or
    unreachable)."""
    if (url := _url()) is None:
        return None, None
    return redis_circuit.through(url, "read_cache", lambda: _lookup(url, key), lambda: (None, None))


def _lookup(url: str, key: str) -> tuple[bytes | None, bytes | None]:
    store = redis_circuit.client(url)
    if url in _undropped:  # a change was made while Redis was away: nothing kept before it may be served
        _drop(store)
        _undropped.discard(url)
    generation, entry = store.mget(_generation_key(), key)
    if generation is None:  # a new (or flushed) Redis: start from a number no earlier entry can carry
        generation = _start_generation(store)
    if entry is None:
        return None, generation
    try:
        built_at, until, body = entry.split(b" ", 2)
        fresh = built_at == generation and float(until) > clock.now().timestamp()
    except ValueError:  # a value that is no entry of ours: the database answers, and nothing is kept over it
        log.warning("read cache entry %s is unreadable; answering from the database", key)
        return None, None
    return (body if fresh else None), generation


def keep(key: str, generation: bytes, body: bytes, boundary: datetime | None) -> None:
    """Keep an answer built at `generation` until the next change, `boundary`, or READ_CACHE_SECONDS."""
    now = clock.now().timestamp()
    seconds = current_app.config["READ_CACHE_SECONDS"]
    until = min(now + seconds, boundary.timestamp() if boundary else now + seconds)
    if until <= now:
        return
    url = _url()
    redis_circuit.through(url, "read_cache", lambda: redis_circuit.client(url).set(
        key, b"%s %f %s" % (generation, until, body), ex=seconds), lambda: None)


def _start_generation(store: Redis) -> bytes:
    """Set the generation to the clock's nanoseconds unless another worker set it first; its value."""
    key = _generation_key()
    return store.pipeline().set(key, time.time_ns(), nx=True).get(key).execute()[1]


def drop_all() -> None:
    """Make every cached answer stale."""
    if (url := _url()) is not None:
        redis_circuit.through(url, "read_cache", lambda: _drop(redis_circuit.client(url)), lambda: _undropped.add(url))


def _drop(store: Redis) -> None:
    store.pipeline().set(_generation_key(), time.time_ns(), nx=True).incr(_generation_key()).execute()


@event.listens_for(Session, "after_flush")
def _notice_objects(session: Session, _context) -> None:
    if any(isinstance(obj, WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _notice_statements(state) -> None:
    writes = state.is_update or state.is_delete or state.is_insert
    if writes and getattr(state.statement, "table", None) in WATCHED_TABLES:
        state.session.info[CHANGED] = True


@event.listens_for(Session, "after_commit")
def _drop_after_commit(session: Session) -> None:
    if session.info.pop(CHANGED, False) and has_app_context():
        drop_all()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(CHANGED, None)
