"""Benchmark GET /api/v1/challenges: time per page and SQL statements per request as the table grows."""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, make_url, select, text  # noqa: E402

from challenges import create_app, pagination  # noqa: E402
from challenges.extensions import db  # noqa: E402
from challenges.models import Challenge, Status  # noqa: E402
from challenges.services.challenges import SORTS  # noqa: E402
from config import Config, database_url  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/challenges_bench"
TAGS = ["ai", "climate", "health", "energy", "water", "education", "mobility", "agriculture", "finance",
        "security", "biology", "chemistry", "physics", "robotics", "space", "materials", "housing", "food",
        "ocean", "urban", "privacy", "design", "logistics", "retail", "media", "sport", "music", "law",
        "history", "zoology"]
WORDS = ["sensor", "battery", "river", "soil", "vaccine", "protein", "drone", "satellite", "grid", "solar",
         "wind", "forest", "city", "traffic", "crop", "seed", "school", "library", "bridge", "robot",
         "camera", "language", "speech", "image", "network", "market", "credit", "waste", "plastic", "air",
         "noise", "heat", "flood", "fire", "rail", "port", "mine", "glacier", "bee", "coral"]
FILTERS = [{"phase": "open"}, {"tag": "ai"}, {"tag": "zoology"}, {"q": "battery"}, {"q": "quasar"},
           {"organisation_id": 1}]
STATEMENTS: list = []


def u(seed: str) -> str:
    """SQL for a deterministic pseudo-random number in [0, 1) derived from an integer expression."""
    return f"((hashint4(({seed})::int)::bigint + 2147483648) / 4294967296.0)"


def pick(items: list[str], seed: str, skew: float = 1) -> str:
    """SQL choosing one of items; with skew > 1 the first ones come up more often."""
    array = "ARRAY[" + ",".join(f"'{item}'" for item in items) + "]"
    return f"({array})[1 + floor({len(items)} * power({u(seed)}, {skew}))::int]"


def amount(rank: int) -> str:
    """SQL for the money of prize `rank` (1 or 2) of challenge g; the third prize is a non-monetary one."""
    return f"(1000 * (1 + floor(500 * {u(f'g * 16 + 12 + {rank}')})))::bigint"


DAY = "* interval '1 day'"
CHALLENGES_SQL = f"""
INSERT INTO challenge (id, organisation_id, title, summary, description, rules, ip_terms, terms_version,
  status, evaluation, judging, opens_at, closes_at, published_at, finalised_at, cancelled_at, cancel_reason,
  max_submissions_per_participant, publish_winning_submissions, submission_count, prize_total, search_text,
  created_at, updated_at)
SELECT g, org, title, summary, repeat('Context, constraints and the data provided. ', 6), 'Rules.', 'Terms.', 1,
  status, 'judged', '{{"blind": false, "normalise": false, "allow_unassigned": true, "disagreement_threshold": 0.25}}',
  t0 - o_ago {DAY}, t0 - c_ago {DAY}, CASE WHEN status <> 'draft' THEN t0 - o_ago {DAY} END,
  CASE WHEN status = 'finalised' THEN t0 - (c_ago - 5) {DAY} END,
  CASE WHEN status = 'cancelled' THEN t0 - created_ago {DAY} END,
  CASE WHEN status = 'cancelled' THEN 'Withdrawn by the sponsor.' END,
  1, true, 0, prize, lower(title || ' ' || summary || ' ' || tags), t0 - created_ago {DAY}, t0 - created_ago {DAY}
FROM (SELECT *, CASE WHEN r < 0.05 THEN 'draft' WHEN r < 0.08 THEN 'cancelled'
                     WHEN c_ago > 10 AND r < 0.6 THEN 'finalised' ELSE 'published' END AS status
  FROM (SELECT g, now() AS t0, {u('g * 16 + 3')} AS r, 1 + floor(:orgs * power({u('g * 16 + 4')}, 3))::int AS org,
          1825 * {u('g * 16')} AS created_ago, 1825 * {u('g * 16')} - 20 * {u('g * 16 + 1')} AS o_ago,
          1825 * {u('g * 16')} - 20 * {u('g * 16 + 1')} - 14 - 90 * {u('g * 16 + 2')} AS c_ago,
          'Better ' || {pick(WORDS, 'g * 16 + 8')} || ' for ' || {pick(WORDS, 'g * 16 + 9')} AS title,
          'Combine ' || {pick(WORDS, 'g * 16 + 10')} || ' and ' || {pick(WORDS, 'g * 16 + 11')}
            || CASE WHEN {u('g * 16 + 12')} < 0.001 THEN ' with quasar data' ELSE '' END || '.' AS summary,
          concat_ws(' ', {pick(TAGS, 'g * 16 + 5', 2)}, CASE WHEN g % 3 >= 1 THEN {pick(TAGS, 'g * 16 + 6', 2)} END,
                    CASE WHEN g % 3 >= 2 THEN {pick(TAGS, 'g * 16 + 7', 2)} END) AS tags,
          {amount(1)} + CASE WHEN (g / 3) % 3 >= 1 THEN {amount(2)} ELSE 0 END AS prize
        FROM generate_series(1, :n) g) a) b"""
PRIZES_SQL = f"""
INSERT INTO prize (challenge_id, rank, title, amount, currency, description)
SELECT g, r, 'Prize ' || r, CASE r WHEN 1 THEN {amount(1)} WHEN 2 THEN {amount(2)} END,
       CASE WHEN r < 3 THEN 'EUR' END, CASE WHEN r = 3 THEN 'A mentoring programme.' ELSE '' END
FROM generate_series(1, :n) g, generate_series(1, 1 + (g / 3) % 3) r"""
TAGS_SQL = f"""
INSERT INTO challenge_tag (challenge_id, tag, position)
SELECT g, {pick(TAGS, 'g * 16 + 4 + p', 2)}, p - 1 FROM generate_series(1, :n) g, generate_series(1, 1 + g % 3) p
ON CONFLICT DO NOTHING"""
SECONDARY_INDEXES = """SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public'
  AND tablename IN ('challenge', 'challenge_tag', 'prize')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    target = make_url(url).set(drivername="postgresql")
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.database]).fetchone():
            connection.execute(f'CREATE DATABASE "{target.database}"')


def load(n: int) -> float:
    """Rebuild the schema with the migrations, insert n challenges, reindex and analyse; seconds taken."""
    start = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    orgs = max(10, n // 100)
    with db.engine.begin() as connection:  # build the migrations' own secondary indexes after the load
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        indexes = connection.execute(text(SECONDARY_INDEXES)).all()
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        connection.execute(text("INSERT INTO organisation (id, name, description, created_at, updated_at) "
                                "SELECT g, 'Organisation ' || g, '', now(), now() FROM generate_series(1, :orgs) g"),
                           {"orgs": orgs})
        for sql in (CHALLENGES_SQL, PRIZES_SQL, TAGS_SQL):
            connection.execute(text(sql), {"n": n, "orgs": orgs})
        for table, last in (("organisation", orgs), ("challenge", n)):
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
        for _, ddl in indexes:
            connection.execute(text(ddl))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    db.engine.dispose()
    return time.perf_counter() - start


def deep_cursors() -> dict[str, str]:
    """For each sort, a cursor 90% of the way down the unfiltered public list."""
    public = Challenge.status.in_([Status.PUBLISHED, Status.FINALISED])
    total = db.session.scalar(select(func.count()).where(public))
    cursors = {}
    for sort, (keys, descending) in SORTS.items():
        order = [key.desc() if descending else key.asc() for key in keys]
        row = db.session.execute(select(*keys).where(public).order_by(*order).offset(total * 9 // 10).limit(1)).one()
        cursors[sort] = pagination._encode(keys, list(row))  # the service's own cursor format
    db.session.remove()
    return cursors


def matches(n: int) -> str:
    """How many challenges each filter selects, to read the timings against."""
    counts = db.session.execute(text(
        "SELECT count(*) FILTER (WHERE status = 'published' AND opens_at <= now() AND closes_at > now()),"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM challenge_tag t WHERE t.challenge_id = c.id AND tag = 'ai')),"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM challenge_tag t WHERE t.challenge_id = c.id AND tag = 'zoology')),"
        " count(*) FILTER (WHERE search_text LIKE '%battery%'), count(*) FILTER (WHERE search_text LIKE '%quasar%'),"
        " count(*) FILTER (WHERE organisation_id = 1) FROM challenge c")).one()
    db.session.remove()
    names = ["phase=open", "tag=ai", "tag=zoology", "q=battery", "q=quasar", "organisation_id=1"]
    return ", ".join(f"{name}: {count:,}" for name, count in zip(names, counts))


def record(conn, cursor, statement, parameters, context, executemany) -> None:
    """Keep every SQL statement sent, with its parameters."""
    STATEMENTS.append((statement, parameters))


def url_for(params: dict, limit: int, cursor: str | None) -> str:
    """The list URL for these filters, page size and cursor."""
    return "/api/v1/challenges?" + urlencode({**params, "limit": limit, **({"cursor": cursor} if cursor else {})})


def get(client, url: str) -> dict:
    """GET a list page, insisting on 200."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()


def explain(app, statement: str, parameters) -> tuple[str, int, float]:
    """EXPLAIN ANALYZE the list query: its node chain, the rows its scans read, and its execution ms."""
    with app.app_context(), db.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()[0]
    nodes, read = [], 0

    def walk(node):
        nonlocal read
        nodes.append(node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else ""))
        if node["Node Type"].endswith("Scan") and node["Node Type"] != "Bitmap Index Scan":
            read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return " > ".join(nodes[:4]), read, plan["Execution Time"]


def measure(app, client, params: dict, cursor: str | None, pages: int, budget: float) -> dict:
    """Time one list request (median, p95), count its statements at limit 5 and 100, and explain it."""
    for _ in range(pages - 1):  # follow next_cursor to the page asked for
        cursor = get(client, url_for(params, 20, cursor))["next_cursor"]
    url, times, started = url_for(params, 20, cursor), [], time.perf_counter()
    get(client, url)  # warm-up
    while len(times) < 50 and (len(times) < 5 or time.perf_counter() - started < budget):
        begin = time.perf_counter()
        get(client, url)
        times.append((time.perf_counter() - begin) * 1000)
    counts = []
    for limit in (5, 100):
        STATEMENTS.clear()
        get(client, url_for(params, limit, cursor))
        counts.append(len(STATEMENTS))
    STATEMENTS.clear()
    get(client, url)
    statement, parameters = STATEMENTS[0]
    plan, read, db_ms = explain(app, statement, parameters)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return {"median": statistics.median(times), "p95": p95, "db": db_ms, "statements": counts,
            "read": read, "plan": plan}


def cases(cursors: dict[str, str]) -> list[tuple[str, dict, str | None, int]]:
    """(name, query parameters, starting cursor, page number) for every request measured."""
    out = []
    for sort in SORTS:
        out += [(f"{sort} first", {"sort": sort}, None, 1), (f"{sort} page 5", {"sort": sort}, None, 5),
                (f"{sort} deep (90%)", {"sort": sort}, cursors[sort], 1)]
    for filters in FILTERS:
        label = "&".join(f"{k}={v}" for k, v in filters.items())
        for sort in SORTS:
            out += [(f"{label} {sort} first", {**filters, "sort": sort}, None, 1),
                    (f"{label} {sort} deep", {**filters, "sort": sort}, cursors[sort], 1)]
    return out


def size_label(n: int) -> str:
    """1000 -> 1k, 1000000 -> 1M."""
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k" if n >= 1000 else str(n)


def main() -> None:
    """Load each size, measure every case, print a table per size and a comparison across sizes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sizes", default="1000,100000,1000000", help="comma-separated row counts")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of repeats per case (5 to 50 requests)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    ensure_database(args.url)

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url(args.url)
        LOG_LEVEL = "WARNING"

    app, results = create_app(BenchConfig), {}
    client = app.test_client()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    header = f"{'case':<44}{'med ms':>8}{'p95 ms':>8}{'db ms':>8}  stmts@5/100 {'rows read':>10}  plan (EXPLAIN ANALYZE)"
    for n in sizes:
        with app.app_context():
            seconds = load(n)
            cursors, counts = deep_cursors(), matches(n)
        print(f"\n== {n:,} challenges (loaded in {seconds:.0f} s); matches: {counts}\n{header}", flush=True)
        results[n] = {}
        for name, params, cursor, page in cases(cursors):
            r = results[n][name] = measure(app, client, params, cursor, page, args.budget)
            print(f"{name:<44}{r['median']:>8.1f}{r['p95']:>8.1f}{r['db']:>8.1f}  {r['statements'][0]:>5}/"
                  f"{r['statements'][1]:<5} {r['read']:>10,}  {r['plan']}", flush=True)
    print("\n== median ms and rows read per size (GROWS: > 2x the smallest size and > 2 ms more)")
    print(f"{'case':<44}" + "".join(f"{size_label(n) + ' ms':>9}" for n in sizes)
          + "".join(f"{size_label(n) + ' rows':>12}" for n in sizes))
    for name in results[sizes[0]]:
        first, last = results[sizes[0]][name]["median"], results[sizes[-1]][name]["median"]
        flag = "  GROWS" if last > 2 * first and last - first > 2 else ""
        print(f"{name:<44}" + "".join(f"{results[n][name]['median']:>9.1f}" for n in sizes)
              + "".join(f"{results[n][name]['read']:>12,}" for n in sizes) + flag)


if __name__ == "__main__":
    main()
