"""Shared pieces of the HTTP benchmarks: a fresh database, seeded rows, gunicorn servers and CPU readings."""
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from bench.challenge_list import TAGS, WORDS, ensure_database  # noqa: E402
from challenges import create_app  # noqa: E402
from challenges.extensions import db  # noqa: E402
from challenges.services import accounts, challenges, lifecycle, organisations, webhooks  # noqa: E402
from config import Config, database_url  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/challenges_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")  # flushed before and after a run
PASSWORD = "a long password"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def plain_url(url: str) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """Create the database if needed, drop and recreate schema public, and run the migrations."""
    ensure_database(url)
    with psycopg.connect(plain_url(url), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, check=True, capture_output=True,
                   env=os.environ | {"DATABASE_URL": url, "REDIS_URL": ""})


def flush_redis() -> None:
    """Empty the benchmark's Redis database (its queued jobs)."""
    redis.Redis.from_url(REDIS_URL).flushdb()


def seeding_app(url: str):
    """An app for seeding through the services: cheap hashing, nothing queued in Redis."""

    class SeedConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url(url)
        REDIS_URL = None
        RATELIMIT_ENABLED = False
        WEBHOOKS_ALLOW_PRIVATE = True
        PASSWORD_TIME_COST, PASSWORD_MEMORY_COST = 1, 8  # sign-ups are not what is measured

    return create_app(SeedConfig)


def organisation_with_hooks(hooks: int):
    """A long-standing owner (so the spam filter passes their challenges) and an organisation whose webhooks,
    subscribed to submission.received, point at a port nothing answers on."""
    owner = accounts.register(email="owner@bench.example", password=PASSWORD, display_name="Owner")
    owner.created_at = datetime.now(UTC) - timedelta(days=365)
    organisation = organisations.create(owner, name="Bench")
    for _ in range(hooks):
        webhooks.register(owner, organisation.id, url=f"http://127.0.0.1:{free_port()}/hook",
                          events=["submission.received"])
    return owner, organisation


def open_challenge(owner, organisation_id: int, n: int, closes_at: datetime) -> int:
    """Publish an open challenge with a prize, tags and a description of a few hundred characters; its id."""
    words = random.Random(n).choices(WORDS, k=60)
    challenge = challenges.create(
        owner, organisation_id=organisation_id, title=f"Better {words[0]} for {words[1]} #{n}",
        summary=f"Combine {words[2]} and {words[3]}.", description=" ".join(words).capitalize() + ".",
        tags=[TAGS[n % len(TAGS)], TAGS[(n * 7 + 3) % len(TAGS)]], closes_at=closes_at,
        max_submissions_per_participant=None,
        prizes=[{"title": "First", "reward": {"amount": 1000 * (1 + n % 50), "currency": "EUR"}}])
    lifecycle.publish(owner, challenge.id)
    return challenge.id


def participant_tokens(prefix: str, count: int, age: timedelta) -> list[str]:
    """Register `count` participants created `age` ago (trusted past 7 days) and sign each in once."""
    people = [accounts.register(email=f"{prefix}{n}@bench.example", password=PASSWORD, display_name=f"{prefix}{n}")
              for n in range(count)]
    for person in people:
        person.created_at = datetime.now(UTC) - age
    db.session.commit()
    return [accounts.issue_token(email=person.email, password=PASSWORD)[0] for person in people]


class Gunicorn:
    """One gunicorn instance under config/gunicorn.py on its own port, control socket and process group."""

    def __init__(self, name: str, app: str, env: dict, workdir: Path, ready_path: str):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        command = [BIN / "gunicorn", "--config", "config/gunicorn.py",
                   "--control-socket", str(workdir / f"{name}.ctl"), app]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True,
                                            env=os.environ | env | {"HOST": "127.0.0.1", "PORT": str(self.port)})
        try:
            self._wait(ready_path)
        except BaseException:
            self.stop()
            raise

    def _wait(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def processes(self) -> list[psutil.Process]:
        """The master and its workers."""
        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def stop(self) -> None:
        """Stop the whole process group: politely, then by force."""
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(wait)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def postgres_processes() -> list[psutil.Process]:
    """Every PostgreSQL server process on the machine (postmaster, backends, background workers)."""
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]


def cpu_snapshot(processes: list[psutil.Process]) -> dict[tuple, float]:
    """User plus system CPU seconds by (pid, start time), so a reused pid is not mistaken for the same process."""
    snapshot = {}
    for process in processes:
        try:
            with process.oneshot():
                times = process.cpu_times()
                snapshot[process.pid, process.create_time()] = times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return snapshot


def cpu_used(before: dict[tuple, float], after: dict[tuple, float]) -> float:
    """CPU seconds spent between two snapshots; a process that started in between counts whole, one that
    ended in between is lost (backends here live as long as the connection pools)."""
    return sum(seconds - before.get(key, 0.0) for key, seconds in after.items())
