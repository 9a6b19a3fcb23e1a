"""Redis helps but is not needed: a circuit per Redis server, and a warning and a count when work goes on without it.

After a failure a server is left alone for REDIS_RETRY_SECONDS (one caller then tries it again), so a Redis that
is down or mute costs a request at most one short timeout, not one per use. Each component that falls back counts
it in `challenges_redis_fallbacks_total{component}` and warns at most once per REDIS_WARNING_SECONDS.
"""
import logging
import threading
from collections.abc import Callable
from functools import cache
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app
from prometheus_client import Counter
from redis import Redis, RedisError

from challenges import clock

T = TypeVar("T")
FALLBACKS = Counter("challenges_redis_fallbacks",
                    "Operations done without Redis because it could not be reached.", ["component"])
INSTEAD = {  # what each component does while Redis is away
    "rate_limits": "rate limits count in this process",
    "sign_in_throttle": "sign-in attempts count in the database",
    "jobs": "jobs run in this process after the response, or wait in the outbox for the next relay",
    "read_cache": "reads are answered from the database",
}
log = logging.getLogger(__name__)
_lock = threading.Lock()
_retry_at: dict[str, float] = {}  # server URL -> when it may be tried again (absent: the circuit is closed)
_failures: dict[str, str] = {}  # server URL -> how it last failed
_warned: dict[tuple[str, str], tuple[float, int]] = {}  # (component, URL) -> when it last warned, fallbacks since


@cache
def _client(url: str, timeout: float) -> Redis:
    return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def client(url: str) -> Redis:
    """One client per process and URL, with short timeouts: whatever it serves can be done without it."""
    return _client(url, current_app.config["REDIS_TIMEOUT_SECONDS"])


def through(url: str, component: str, use: Callable[[], T], fallback: Callable[[], T]) -> T:
    """use(), unless the Redis at url failed within REDIS_RETRY_SECONDS or fails now: then fallback()."""
    if _may_try(url):
        try:
            result = use()
        except RedisError as error:
            _trip(url, error)
        else:
            _close(url)
            return result
    fell_back(component, url)
    return fallback()


def reachable(url: str) -> bool:
    """Whether the Redis at url answers a PING (not tried while its circuit is open)."""
    if not _may_try(url):
        return False
    try:
        client(url).ping()
    except RedisError as error:
        _trip(url, error)
        return False
    _close(url)
    return True


def is_open(url: str) -> bool:
    """Whether the Redis at url failed lately and is being left alone."""
    return url in _retry_at


def fell_back(component: str, url: str) -> None:
    """Count one operation done without the Redis at url, and warn unless this component warned lately."""
    FALLBACKS.labels(component).inc()
    now = clock.now().timestamp()
    with _lock:
        last, since = _warned.get((component, url), (float("-inf"), 0))
        due = now - last >= current_app.config["REDIS_WARNING_SECONDS"]
        _warned[component, url] = (now, 0) if due else (last, since + 1)
    if due:
        log.warning("Redis at %s does not answer (%s): %s%s", _server(url), _failures.get(url, "no answer"),
                    INSTEAD.get(component, component), f"; {since} more such since the last warning" if since else "")


def _may_try(url: str) -> bool:
    """True while the circuit is closed; once it has waited long enough, true for one caller, who tries again."""
    if url not in _retry_at:
        return True
    now = clock.now().timestamp()
    with _lock:
        if _retry_at.get(url, now) > now:
            return False
        _retry_at[url] = now + current_app.config["REDIS_RETRY_SECONDS"]  # the others wait while this one tries
        return True


def _trip(url: str, error: RedisError) -> None:
    with _lock:
        _retry_at[url] = clock.now().timestamp() + current_app.config["REDIS_RETRY_SECONDS"]
        _failures[url] = str(error) or type(error).__name__


def _close(url: str) -> None:
    if url in _retry_at:
        with _lock:
            reopened = _retry_at.pop(url, None) is not None
        if reopened:
            log.info("Redis at %s answers again", _server(url))


def _server(url: str) -> str:
    """host:port of a Redis URL, without the password it may carry."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"
