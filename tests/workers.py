"""An app whose background jobs go to RQ on TEST_REDIS_URL, for the tests that run a real worker."""
import os
import signal
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from redis import Redis
from rq import Queue

from challenges import create_app, jobs
from challenges.extensions import db, limiter
from config import TestConfig

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@contextmanager
def queued_app(app, **settings):
    """An app of its own on the same database, with these settings, whose jobs go to RQ on TEST_REDIS_URL;
    that Redis database is flushed before and after. Skips the test without Redis."""
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    other = create_app(type("Queued", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL} | settings))
    try:
        yield SimpleNamespace(app=other, redis=redis, queue=Queue(jobs.QUEUE, connection=redis))
    finally:
        for number, handler in handlers.items():  # the RQ worker installs its own and leaves them behind
            signal.signal(number, handler)
        limiter.enabled = app.config["RATELIMIT_ENABLED"]  # one limiter per process: leave it as the suite had it
        with other.app_context():
            db.engine.dispose()
        redis.flushdb()
        redis.close()
