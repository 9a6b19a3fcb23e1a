"""Background jobs: on an RQ worker when REDIS_URL is set, otherwise in this process once the response is sent."""
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from flask import Flask, after_this_request, current_app, has_request_context
from redis import Redis, RedisError
from rq import Queue, SimpleWorker

from challenges.extensions import db

QUEUE = "challenges"
log = logging.getLogger(__name__)


@cache
def _queue(url: str) -> Queue:
    """The job queue at this Redis URL, one per process: its connection pool is reused, not opened per job."""
    return Queue(QUEUE, connection=Redis.from_url(url))


def enqueue(job: Callable, *args) -> None:
    """Run job(*args) in the background, after the current transaction has committed."""
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            _queue(url).enqueue(run, f"{job.__module__}.{job.__qualname__}", *args, job_timeout=600)
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


def after_commit(job: Callable) -> None:
    """Schedule job() from a commit hook: on the worker, or after the response; outside a request the
    work waits for the next relay (`flask relay`, a worker's start, or the next request)."""
    if current_app.config.get("REDIS_URL") or has_request_context():
        enqueue(job)


def enqueue_in(seconds: float, job: Callable, *args) -> None:
    """Run job(*args) in the background after a delay (a retry); a lost timer is caught up by the next relay."""
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            _queue(url).enqueue_in(
                timedelta(seconds=seconds), run, f"{job.__module__}.{job.__qualname__}", *args, job_timeout=600)
        except RedisError:
            log.exception("could not schedule %s%s", job.__qualname__, args)
        return
    timer = threading.Timer(seconds, _run_in, (current_app._get_current_object(), job, args))
    timer.daemon = True
    timer.start()


def _run_in(app: Flask, job: Callable, args: tuple) -> None:
    with app.app_context():
        try:
            job(*args)
        except Exception:  # the response is gone: log it; the rows stay pending for the next sweep
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
    SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=burst, with_scheduler=True)
