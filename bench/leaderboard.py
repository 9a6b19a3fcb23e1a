"""Benchmark the public leaderboard of a scored challenge against the challenge's detail, as submissions grow.

Usage: .venv/bin/python bench/leaderboard.py [--sizes 1000,10000,50000] [--requests 200] [DATABASE_URL]

Uses BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/challenges_bench_lb; schema public is dropped
and rebuilt for every size. Each size is an open scored challenge with N scored submissions from N/2
participants, bulk-inserted, its boards filled by services.boards.rebuild. Through app.test_client(), it times
the anonymous GET of the challenge's detail, of the public leaderboard's first page (limit=20) and of a page 90%
of the way down (by cursor): CPU ms per request (time.process_time), wall ms, and SQL statements per request.
It also times the refresh that a change to one entrant's submissions adds to its transaction, and the rebuild.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from bench.challenge_list import ensure_database  # noqa: E402
from challenges import create_app, pagination  # noqa: E402
from challenges.extensions import db  # noqa: E402
from challenges.models import Board, BoardEntry  # noqa: E402
from challenges.services import boards  # noqa: E402
from challenges.services.leaderboards import RANK_ORDER  # noqa: E402
from config import Config, database_url  # noqa: E402
from tests import factories  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/challenges_bench_lb"
SCORING = {"metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2}
USERS_SQL = """
INSERT INTO "user" (email, password_hash, display_name, is_admin, email_notifications, created_at)
SELECT 'p' || g || '@bench.example', 'x', 'Participant ' || g, false, true, now() - interval '30 days'
FROM generate_series(1, :users) g"""
# Two submissions per participant; scores drawn from a hash so that reruns build the same boards.
SUBMISSIONS_SQL = """
INSERT INTO submission (challenge_id, participant_id, title, summary, body, links, status, shortlisted,
  submitted_at, updated_at, content_sha256, revision, evaluation_status, public_score, private_score, scored_at,
  selected, moderation)
SELECT :challenge, :first_user + (g % :users), 'Run ' || g, '', '', '[]', 'submitted', false,
  now() - interval '1 day' + g * interval '1 second', now(), md5(g::text) || md5(g::text), 1, 'scored',
  round(((hashint4(g)::bigint + 2147483648) / 4294967296.0)::numeric, 3)::float,
  (hashint4(g + 7)::bigint + 2147483648) / 4294967296.0, now(), false, 'visible'
FROM generate_series(1, :n) g"""
STATEMENTS: list[str] = []


def load(app, n: int) -> tuple[int, float]:
    """A fresh schema with one open scored challenge and n scored submissions; its id and the rebuild's seconds."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    owner = factories.make_user()
    challenge = factories.make_challenge(factories.make_organisation(owner), phase="open", evaluation="scored",
                                         judging=None, scoring=SCORING, max_submissions_per_participant=None)
    with app.app_context():
        with db.engine.begin() as connection:
            first_user = connection.execute(text('SELECT max(id) + 1 FROM "user"')).scalar()
            connection.execute(text(USERS_SQL), {"users": n // 2})
            connection.execute(text(SUBMISSIONS_SQL), {"challenge": challenge.id, "first_user": first_user,
                                                       "users": n // 2, "n": n})
            connection.execute(text("ANALYZE"))  # plans for the rebuild as on a table that has been live
        started = time.perf_counter()
        boards.rebuild(challenge.id)  # the service's own function fills the boards
        db.session.commit()
        seconds = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return challenge.id, seconds


def deep_cursor(app, challenge_id: int) -> str:
    """The cursor of the page that starts 90% of the way down the public board, in the service's format."""
    with app.app_context():
        ranked = select(*RANK_ORDER).where(BoardEntry.challenge_id == challenge_id, BoardEntry.board == Board.PUBLIC,
                                           BoardEntry.rank_key.is_not(None)).order_by(*RANK_ORDER)
        total = db.session.scalar(select(func.count()).select_from(ranked.subquery()))
        row = db.session.execute(ranked.offset(total * 9 // 10 - 1).limit(1)).one()
        return pagination._encode(RANK_ORDER, list(row))


def measure(client, urls: dict[str, str], requests: int, rounds: int = 10) -> dict[str, dict]:
    """Per URL: CPU and wall ms per request (the median of `rounds` rounds that take turns, so that a busy moment
    of the machine hits every case alike), the statements of one request, and the rank its page starts at."""
    results = {}
    for name, url in urls.items():
        response = client.get(url)  # warm-up
        assert response.status_code == 200, response.json
        STATEMENTS.clear()
        client.get(url)
        results[name] = {"statements": len(STATEMENTS), "cpu": [], "wall": [],
                         "first_rank": (response.json.get("items") or [{}])[0].get("rank")}
    for _ in range(rounds):
        for name, url in urls.items():
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(requests // rounds):
                client.get(url)
            results[name]["cpu"].append((time.process_time() - cpu) * 1000 / (requests // rounds))
            results[name]["wall"].append((time.perf_counter() - wall) * 1000 / (requests // rounds))
    for result in results.values():
        result["cpu"], result["wall"] = statistics.median(result["cpu"]), statistics.median(result["wall"])
    return results


def refresh_cost(app, challenge_id: int, times: int = 100) -> float:
    """Wall ms of one entrant's refresh and its commit: what a scoring, withdrawal or selection adds."""
    with app.app_context():
        entrants = db.session.scalars(select(BoardEntry.entrant).where(BoardEntry.challenge_id == challenge_id)
                                      .distinct().limit(times)).all()
        started = time.perf_counter()
        for entrant in entrants:
            boards.refresh(challenge_id, [entrant])
            db.session.commit()
        return (time.perf_counter() - started) * 1000 / len(entrants)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sizes", default="1000,10000,50000", help="scored submissions, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="requests timed per case")
    args = parser.parse_args()
    ensure_database(args.url)

    class Settings(Config):
        SQLALCHEMY_DATABASE_URI = database_url(args.url)
        REDIS_URL = None
        RATELIMIT_ENABLED = False
        LOG_LEVEL = "WARNING"

    app = create_app(Settings)
    factories.bind(app)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_: STATEMENTS.append(1))
    client = app.test_client()
    print(f"{'N':>7} | {'detail ms':>9} | {'board p1 ms':>11} | {'deep ms':>8} | {'ratio p1':>8} | {'ratio deep':>10}"
          f" | {'wall d/p1/deep ms':>18} | {'stmts d/p1/deep':>15} | {'deep rank':>9} | {'refresh ms':>10}"
          f" | {'rebuild s':>9}")
    for n in (int(size) for size in args.sizes.split(",")):
        challenge_id, rebuild = load(app, n)
        base = f"/api/v1/challenges/{challenge_id}"
        detail, first, deep = measure(client, {
            "detail": base, "first": f"{base}/leaderboard?board=public&limit=20",
            "deep": f"{base}/leaderboard?board=public&limit=20&cursor={deep_cursor(app, challenge_id)}"},
            args.requests).values()
        refresh = refresh_cost(app, challenge_id)
        print(f"{n:>7,} | {detail['cpu']:>9.2f} | {first['cpu']:>11.2f} | {deep['cpu']:>8.2f} | "
              f"{first['cpu'] / detail['cpu']:>8.2f} | {deep['cpu'] / detail['cpu']:>10.2f} | "
              f"{detail['wall']:>5.2f}/{first['wall']:>5.2f}/{deep['wall']:>5.2f} | "
              f"{detail['statements']:>5}/{first['statements']}/{deep['statements']:<5} | {deep['first_rank']:>9,} | "
              f"{refresh:>10.2f} | {rebuild:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
