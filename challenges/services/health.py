"""Readiness: each dependency checked cheaply (the probe is polled); only the database is needed to serve."""
import os
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from challenges import redis_circuit, storage
from challenges.extensions import db

OK = {"status": "ok"}
DOWN = {
    "database": "Not reachable: calls that read or write data fail.",
    "redis": "Not reachable: rate limits count in each process, sign-in attempts in the database, jobs run in the "
             "web process (or wait in the outbox for the next relay), reads come from the database.",
    "storage": "Not reachable: file uploads and downloads fail; everything else works.",
}
PROBE_TIMEOUT_SECONDS = 1  # the object store's answer to the probe; its own client waits longer for real transfers


def readiness() -> dict:
    """The status of the database, Redis and the file store, and of the whole: unavailable only without the
    database, degraded while something else is down."""
    checks = {"database": _check("database", _database_answers()), "redis": _redis(),
              "storage": _check("storage", _storage_answers())}
    if checks["database"]["status"] == "down":
        status = "unavailable"
    elif any(check["status"] == "down" for check in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "checks": checks}


def _check(name: str, answers: bool) -> dict:
    return OK if answers else {"status": "down", "detail": DOWN[name]}


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def _redis() -> dict:
    """Every Redis the service uses answers a PING; one that failed lately is not tried again before its time."""
    config = current_app.config
    urls = [config.get("REDIS_URL")]
    if config["READ_CACHE_SECONDS"] > 0:
        urls.append(config.get("READ_CACHE_URL"))
    if config["RATELIMIT_ENABLED"] and not config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        urls.append(config["RATELIMIT_STORAGE_URI"])
    urls = [url for url in dict.fromkeys(urls) if url]
    if not urls:
        return {"status": "not configured"}
    return _check("redis", all(redis_circuit.reachable(url) for url in urls))


def _storage_answers() -> bool:
    store = storage.storage()
    if isinstance(store, storage.LocalStorage):
        return _writable(store.root)
    from botocore.exceptions import BotoCoreError, ClientError  # only deployments that use S3 load botocore

    try:
        _probe(store.client.meta.endpoint_url, store.client.meta.region_name).head_bucket(Bucket=store.bucket)
    except (BotoCoreError, ClientError):
        return False
    return True


def _writable(folder: Path) -> bool:
    """Whether files can be written under folder; it is made on the first write, so a missing one is judged by
    its nearest existing parent."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


@cache
def _probe(endpoint: str, region: str | None):
    """A client of the object store that gives up fast: the probe must not hang on a store that does not answer."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=Config(
        connect_timeout=PROBE_TIMEOUT_SECONDS, read_timeout=PROBE_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1}))
