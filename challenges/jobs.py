"""Background jobs: on an RQ worker when REDIS_URL is set, otherwise (or while that Redis is away) in this process
once the response is sent."""
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from flask import Flask, after_this_request, current_app, has_request_context
from redis import Redis, RedisError
from rq import Queue, SimpleWorker

from challenges import redis_circuit
from challenges.extensions import db
from challenges.telemetry.counters import JOB_FAILURES, JOBS_RUN

QUEUE = "challenges"
QUEUED_MARK_SECONDS = 60
PERIODIC = {  # jobs the workers run on a schedule -> the setting of their period in seconds (0: never)
    "challenges.services.attachments.sweep_store": "STORAGE_SWEEP_INTERVAL_SECONDS",
}
log = logging.getLogger(__name__)


@cache
def _queue(url: str) -> Queue:
    """The job queue at this Redis URL, one per process: its connection pool is reused, not opened per job."""
    return Queue(QUEUE, connection=redis_circuit.client(url))  # short timeouts: a job can always run here instead


def enqueue(job: Callable, *args) -> None:
    """Run job(*args) in the background, after the current transaction has committed."""
    url = current_app.config.get("REDIS_URL")
    if url:
        path = f"{job.__module__}.{job.__qualname__}"
        redis_circuit.through(url, "jobs", lambda: _queue(url).enqueue(run, path, *args, job_timeout=600),
                              lambda: _run_here(job, args))
    else:
        _run_here(job, args)


def _run_here(job: Callable, args: tuple) -> None:
    """Run job(*args) in this process: after the response inside a request, at once outside one."""
    if has_request_context():
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
    if url := current_app.config.get("REDIS_URL"):
        _enqueue_once(url, job)
    elif has_request_context():
        enqueue(job)


def _queued_key(path: str) -> str:
    return f"{QUEUE}:queued:{path}"


def _enqueue_once(url: str, job: Callable) -> None:
    """Queue job() unless a run of it waits in the queue already: that run, once started, sees this commit too."""
    path = f"{job.__module__}.{job.__qualname__}"
    queue = _queue(url)

    def queue_once() -> None:
        marked = False
        try:  # the mark lapses after QUEUED_MARK_SECONDS, so a run lost with a dead worker is queued again
            if marked := queue.connection.set(_queued_key(path), 1, nx=True, ex=QUEUED_MARK_SECONDS):
                queue.enqueue(run_queued, path, job_timeout=600)
        except RedisError:
            if marked:
                with contextlib.suppress(RedisError):  # no run waits: let the next commit queue one
                    queue.connection.delete(_queued_key(path))
            raise

    def run_here() -> None:  # the change is committed: outside a request it waits for the next relay
        if has_request_context():
            _run_here(job, ())

    redis_circuit.through(url, "jobs", queue_once, run_here)


def run_queued(path: str) -> None:
    """Run a job queued once for many commits; from now on a new commit queues the next run."""
    _queue(current_app.config["REDIS_URL"]).connection.delete(_queued_key(path))
    run(path)


def enqueue_in(seconds: float, job: Callable, *args) -> None:
    """Run job(*args) in the background after a delay (a retry); a lost timer is caught up by the next relay."""
    url = current_app.config.get("REDIS_URL")
    if url:
        path = f"{job.__module__}.{job.__qualname__}"
        redis_circuit.through(url, "jobs", lambda: _queue(url).enqueue_in(
            timedelta(seconds=seconds), run, path, *args, job_timeout=600), lambda: _run_later(seconds, job, args))
    else:
        _run_later(seconds, job, args)


def _run_later(seconds: float, job: Callable, args: tuple) -> None:
    """Run job(*args) in this process after a delay."""
    timer = threading.Timer(seconds, _run_in, (current_app._get_current_object(), job, args))
    timer.daemon = True
    timer.start()


def _run_in(app: Flask, job: Callable, args: tuple) -> None:
    path = f"{job.__module__}.{job.__qualname__}"
    with app.app_context():
        try:
            job(*args)
        except Exception:  # the response is gone: log it; the rows stay pending for the next sweep
            JOB_FAILURES.labels(path).inc()
            log.exception("background job %s failed", job.__qualname__)  # not its arguments: some are secrets
        finally:
            JOBS_RUN.labels(path).inc()


def run(path: str, *args) -> None:
    """Run a job by its dotted path on a worker, with a fresh session for each job."""
    module, _, name = path.rpartition(".")
    job = getattr(__import__(module, fromlist=[name]), name)
    try:
        job(*args)
    except Exception:  # RQ keeps the failed job and logs it
        JOB_FAILURES.labels(path).inc()
        raise
    finally:
        JOBS_RUN.labels(path).inc()
        db.session.remove()


def work(burst: bool = False) -> None:
    """Process jobs from Redis in this process (the app context must be pushed), the periodic ones included."""
    connection = Redis.from_url(current_app.config["REDIS_URL"])
    queue = Queue(QUEUE, connection=connection)
    for path, setting in PERIODIC.items():
        if current_app.config[setting] > 0:
            queue.enqueue(run, f"{__name__}.periodic", path, job_timeout=600)
    # No job's description in the log: it holds the job's arguments, and some (links' tokens, sealed) are secrets.
    SimpleWorker([queue], connection=connection, log_job_description=False).work(burst=burst, with_scheduler=True)


def periodic(path: str) -> None:
    """Run a periodic job, unless a worker ran it within its period, and plan its next turn."""
    seconds = current_app.config[PERIODIC[path]]
    queue = _queue(current_app.config["REDIS_URL"])
    # Each worker starts a chain of turns as it starts. A turn that finds the job ran within the period ends its
    # chain, so one chain goes on however many workers run. The mark lasts 90% of the period, so that the
    # chain's own next turn finds it gone even if the clocks of Redis and the scheduler differ a little.
    if seconds <= 0 or not queue.connection.set(f"{QUEUE}:ran:{path}", 1, nx=True, px=seconds * 900):
        return
    queue.enqueue_in(timedelta(seconds=seconds), run, f"{__name__}.periodic", path, job_timeout=600)
    run(path)
