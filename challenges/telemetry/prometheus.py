"""Prometheus metrics: requests by route and status, database pool use, the job queue, and the /metrics endpoint."""
import hmac
import os
import time
from functools import cache

from flask import Flask, Response, current_app, request, request_finished, request_started
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from redis import Redis, RedisError
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import event

from challenges.errors import Unauthorized
from challenges.extensions import db, limiter
from challenges.jobs import QUEUE

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # any other counts as "other"
STARTED = "challenges.started"  # in the WSGI environ: when the application took the request
REDIS_TIMEOUT = 1  # seconds: a scrape reports the queue as unreachable rather than hang on Redis

REQUESTS = Counter("challenges_http_requests", "Requests answered, by method, route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("challenges_http_request_duration_seconds",
                    "Time from taking a request to its answer, by method, route template and status.",
                    ["method", "route", "status"])
# Gauges of every worker add up ("livesum"): the pools of all live processes together.
POOL_CHECKED_OUT = Gauge("challenges_db_pool_checked_out", "Database connections in use.",
                         multiprocess_mode="livesum")
POOL_SIZE = Gauge("challenges_db_pool_size", "Database connections the pools keep open when idle.",
                  multiprocess_mode="livesum")


def _started(_app, **_) -> None:
    request.environ[STARTED] = time.perf_counter()


def _finished(_app, response: Response, **_) -> None:
    """Count the answer under its route's template, never its raw path, so that the series stay few."""
    method = request.method if request.method in METHODS else "other"
    route = request.url_rule.rule if request.url_rule else "unmatched"
    labels = (method, route, str(response.status_code))
    REQUESTS.labels(*labels).inc()
    if (started := request.environ.get(STARTED)) is not None:
        LATENCY.labels(*labels).observe(time.perf_counter() - started)


def _watch_pool(engine) -> None:
    """Follow the engine's pool: its size now, and each connection taken and given back."""
    POOL_SIZE.set(engine.pool.size() if hasattr(engine.pool, "size") else 0)
    event.listen(engine, "checkout", lambda *_: POOL_CHECKED_OUT.inc())
    event.listen(engine, "checkin", lambda *_: POOL_CHECKED_OUT.dec())


@cache
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)


class JobQueue:
    """The job queue in Redis, read at each scrape; a Redis that does not answer only says so."""

    def __init__(self, url: str | None):
        self.url = url

    def collect(self):
        """The queue's gauges, read now; none without REDIS_URL."""
        if not self.url:
            return
        up = GaugeMetricFamily("challenges_job_queue_up", "1 when the job queue's Redis answered this scrape.")
        try:
            queue = Queue(QUEUE, connection=_redis(self.url))
            depth, failed = queue.count, FailedJobRegistry(queue=queue).get_job_count(cleanup=False)
        except RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("challenges_job_queue_depth", "Jobs waiting in the queue.", value=depth)
        yield GaugeMetricFamily("challenges_job_queue_failed", "Jobs in the queue's registry of failed jobs.",
                                value=failed)


def _registry() -> CollectorRegistry:
    """What a scrape reports: every worker's metrics under gunicorn (PROMETHEUS_MULTIPROC_DIR), else this
    process's; and the job queue."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(JobQueue(current_app.config.get("REDIS_URL")))
    return registry


def _require_token() -> None:
    """With METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` may read the metrics."""
    expected = current_app.config["METRICS_TOKEN"]
    if not expected:
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise Unauthorized("Reading the metrics needs 'Authorization: Bearer <METRICS_TOKEN>'.")


@limiter.exempt
def metrics() -> Response:
    """The metrics in the text format the scraper asks for: OpenMetrics, else Prometheus' text format 0.0.4."""
    _require_token()
    encode, content_type = choose_encoder(request.headers.get("Accept"))
    return Response(encode(_registry()), content_type=content_type)


def init_app(app: Flask) -> None:
    """Time and count every request, follow the database pools, and serve GET /metrics."""
    request_started.connect(_started, app)
    request_finished.connect(_finished, app)
    with app.app_context():
        for engine in db.engines.values():
            _watch_pool(engine)
    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
