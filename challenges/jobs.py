"""Background jobs: on an RQ worker when REDIS_URL is set, otherwise in this process once the response is sent."""
import logging
from collections.abc import Callable

from flask import Flask, after_this_request, current_app, has_request_context
from redis import Redis, RedisError
from rq import Queue, SimpleWorker

from challenges.extensions import db

QUEUE = "challenges"
log = logging.getLogger(__name__)


def enqueue(job: Callable, *args) -> None:
    """Run job(*args) in the background, after the current transaction has committed."""
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            Queue(QUEUE, connection=Redis.from_url(url)).enqueue(run, f"{job.__module__}.{job.__qualname__}", *args,
                                                                 job_timeout=600)
        except RedisError:  # the change is committed; `flask score-pending` queues the work again later
            log.exception("could not queue %s%s", job.__qualname__, args)
    elif has_request_context():
        app = current_app._get_current_object()

        @after_this_request
        def run_after_response(response):
            response.call_on_close(lambda: _run_in(app, job, args))
            return response
    else:
        job(*args)


def _run_in(app: Flask, job: Callable, args: tuple) -> None:
    with app.app_context():
        try:
            job(*args)
        except Exception:  # the response is gone: log it; `flask score-pending` picks the work up again
            log.exception("background job %s%s failed", job.__qualname__, args)


def run(path: str, *args) -> None:
    """Run a job by its dotted path on a worker, with a fresh session for each job."""
    module, _, name = path.rpartition(".")
    job = getattr(__import__(module, fromlist=[name]), name)
    try:
        job(*args)
    finally:
        db.session.remove()


def work(burst: bool = False) -> None:
    """Process jobs from Redis in this process (the app context must be pushed)."""
    connection = Redis.from_url(current_app.config["REDIS_URL"])
    SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=burst)
