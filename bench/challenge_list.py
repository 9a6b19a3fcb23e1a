"""Benchmark GET /api/v1/challenges: time per page and SQL statements per request as the table grows."""
import argparse
import logging
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
from challenges.models import Challenge, ChallengeTag, Phase, Status  # noqa: E402
from challenges.services.challenges import SORTS, _phase_filter  # noqa: E402
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
PHASES = ["open", "upcoming", "closed"]
FILTERS = [*({"phase": phase} for phase in PHASES), {"tag": "ai"}, {"tag": "zoology"}, {"q": "battery"},
           {"q": "quasar"}, {"organisation_id": 1}]
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
# search_text as the service writes it (services/search_text.py): title, summary, tags and description, folded
# (the words here are plain ASCII, so lower() folds them).
DESCRIPTION = "rtrim(repeat('Context, constraints and the data provided. ', 6))"
CHALLENGES_SQL = f"""
INSERT INTO challenge (id, organisation_id, title, summary, description, rules, ip_terms, terms_version,
  status, evaluation, judging, opens_at, closes_at, published_at, finalised_at, cancelled_at, cancel_reason,
  max_submissions_per_participant, publish_winning_submissions, submission_count, prize_total, search_text,
  created_at, updated_at)
SELECT g, org, title, summary, {DESCRIPTION}, 'Rules.', 'Terms.', 1,
  status, 'judged', '{{"blind": false, "normalise": false, "allow_unassigned": true, "disagreement_threshold": 0.25}}',
  t0 - o_ago {DAY}, t0 - c_ago {DAY}, CASE WHEN status <> 'draft' THEN t0 - o_ago {DAY} END,
  CASE WHEN status = 'finalised' THEN t0 - (c_ago - 5) {DAY} END,
  CASE WHEN status = 'cancelled' THEN t0 - created_ago {DAY} END,
  CASE WHEN status = 'cancelled' THEN 'Withdrawn by the sponsor.' END,
  1, true, 0, prize, lower(title || ' ' || summary || ' ' || tags || ' ' || {DESCRIPTION}), t0 - created_ago {DAY},
  t0 - created_ago {DAY}
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
# What the relay notes as deadlines pass.
DEADLINES_SQL = """UPDATE challenge SET deadline_ahead = closes_at > now(), opening_ahead = opens_at > now()
WHERE status = 'published'"""
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
        for sql in (CHALLENGES_SQL, PRIZES_SQL, TAGS_SQL, DEADLINES_SQL):
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
    """Per sort, a cursor 90% down the unfiltered public list; per phase, the one before its last page."""
    public = Challenge.status.in_([Status.PUBLISHED, Status.FINALISED])
    total = db.session.scalar(select(func.count()).where(public))
    cursors = {}
    for sort, (keys, descending) in SORTS.items():
        order = [key.desc() if descending else key.asc() for key in keys]
        row = db.session.execute(select(*keys).where(public).order_by(*order).offset(total * 9 // 10).limit(1)).one()
        cursors[sort] = pagination._encode(keys, list(row))  # the service's own cursor format
    keys = SORTS["-created_at"][0]
    for phase in PHASES:  # newest first, the 11th-oldest challenge of the phase: 10 items are left
        rows = db.session.execute(select(*keys).where(_phase_filter(None, Phase(phase)))
                                  .order_by(*[key.asc() for key in keys]).limit(11)).all()
        cursors[phase] = pagination._encode(keys, list(rows[-1]))
    db.session.remove()
    return cursors


def matches() -> str:
    """How many challenges each filter selects, to read the timings against."""
    conditions = []
    for key, value in (item for filters in FILTERS for item in filters.items()):
        conditions.append(func.count().filter({
            "phase": lambda: _phase_filter(None, Phase(value)),
            "tag": lambda: Challenge.tag_rows.any(ChallengeTag.tag == value),
            "q": lambda: Challenge.search_text.contains(value),
            "organisation_id": lambda: Challenge.organisation_id == value}[key]()))
    counts = db.session.execute(select(*conditions).select_from(Challenge)).one()
    db.session.remove()
    return ", ".join(f"{label(filters)}: {count:,}" for filters, count in zip(FILTERS, counts))


def label(filters: dict) -> str:
    """A filter as it appears in the query string."""
    return "&".join(f"{key}={value}" for key, value in filters.items())


def record(conn, cursor, statement, parameters, context, executemany) -> None:
    """Keep every SQL statement sent, with its parameters."""
    STATEMENTS.append((statement, parameters))


def url_for(params: dict, limit: int, cursor: str | None) -> str:
    """The list URL for these filters, page size and cursor."""
    return "/api/v1/challenges?" + urlencode({**params, "limit": limit, **({"cursor": cursor} if cursor else {})})


class Failed(Exception):
    """A list request answered something other than 200."""


def get(client, url: str) -> dict:
    """GET a list page; Failed unless it answers 200."""
    response = client.get(url)
    if response.status_code != 200:
        raise Failed(f"HTTP {response.status_code}")
    return response.get_json()


def explain(app, statement: str, parameters) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) the list query: node chain, rows its scans read, pages touched, ms."""
    with app.app_context(), db.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                                          parameters).scalar()[0]
    nodes, read = [], 0

    def walk(node):
        nonlocal read
        nodes.append(node["Node Type"] + (f" {node['Index Name']}" if "Index Name" in node else ""))
        if node["Node Type"].endswith("Scan"):
            read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    pages = plan["Plan"]["Shared Hit Blocks"] + plan["Plan"]["Shared Read Blocks"]
    return {"plan": " > ".join(nodes[:4]), "read": read, "pages": pages, "db": plan["Execution Time"]}


def measure(app, client, params: dict, cursor: str | None, pages: int, budget: float) -> dict:
    """Time one list request (median, p95), count its statements at limit 5 and 100, and explain it."""
    try:
        for _ in range(pages - 1):  # follow next_cursor to the page asked for
            cursor = get(client, url_for(params, 20, cursor))["next_cursor"]
        url, times, started = url_for(params, 20, cursor), [], time.perf_counter()
        items = len(get(client, url)["items"])  # warm-up
    except Failed as error:
        return {"error": str(error)}
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
    p95 = statistics.quantiles(times, n=20)[-1]
    return {"items": items, "median": statistics.median(times), "p95": p95, "statements": counts,
            **explain(app, *STATEMENTS[0])}


def cases(cursors: dict[str, str]) -> list[tuple[str, dict, str | None, int]]:
    """(name, query parameters, starting cursor, page number) for every request measured."""
    out = []
    for sort in SORTS:
        out += [(f"{sort} first", {"sort": sort}, None, 1), (f"{sort} page 5", {"sort": sort}, None, 5),
                (f"{sort} deep (90%)", {"sort": sort}, cursors[sort], 1)]
    for filters in FILTERS:
        for sort in SORTS:
            out += [(f"{label(filters)} {sort} first", {**filters, "sort": sort}, None, 1),
                    (f"{label(filters)} {sort} deep", {**filters, "sort": sort}, cursors[sort], 1)]
        if "phase" in filters:
            out.append((f"{label(filters)} -created_at last page", filters, cursors[filters["phase"]], 1))
    return out


def size_label(n: int) -> str:
    """1000 -> 1k, 1000000 -> 1M."""
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k" if n >= 1000 else str(n)


def line(name: str, r: dict) -> str:
    """One row of a size's table."""
    if "error" in r:
        return f"{name:<40}{r['error']:>14}"
    return (f"{name:<40}{r['items']:>6}{r['median']:>8.1f}{r['p95']:>8.1f}{r['db']:>8.2f}{r['pages']:>7,}"
            f"{r['read']:>9,}{r['statements'][0]:>6}/{r['statements'][1]:<4} {r['plan']}")


def summary(results: dict, sizes: list[int]) -> None:
    """Median ms, database ms and pages per size; GROWS when the largest size touches > 2x the pages of the next."""
    print("\n== per size: HTTP median ms | EXPLAIN ms | pages touched" + (
        f"   (GROWS: {size_label(sizes[-1])} touches > 2x the pages of {size_label(sizes[-2])}, + 50)"
        if len(sizes) > 1 else ""))
    print(f"{'case':<40}" + "".join(f"{size_label(n) + suffix:>9}" for suffix in (" ms", " db", " pg") for n in sizes))
    for name in results[sizes[0]]:
        row = [results[n][name] for n in sizes]
        if any("error" in r for r in row):
            print(f"{name:<40}" + "".join(f"{r.get('error', 'ok'):>9}" for r in row))
            continue
        grows = len(row) > 1 and row[-1]["pages"] > 2 * row[-2]["pages"] + 50
        print(f"{name:<40}" + "".join(f"{r['median']:>9.1f}" for r in row) + "".join(f"{r['db']:>9.2f}" for r in row)
              + "".join(f"{r['pages']:>9,}" for r in row) + ("  GROWS" if grows else ""))


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
    logging.getLogger("challenges.errors").setLevel(logging.CRITICAL)  # a 500 shows in the table, not as a traceback
    client = app.test_client()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    header = (f"{'case':<40}{'items':>6}{'med ms':>8}{'p95 ms':>8}{'db ms':>8}{'pages':>7}{'rows':>9}"
              f"  stmts@5/100  plan (EXPLAIN ANALYZE, first nodes)")
    for n in sizes:
        with app.app_context():
            seconds = load(n)
            cursors, counts = deep_cursors(), matches()
        print(f"\n== {n:,} challenges (loaded in {seconds:.0f} s); matches: {counts}\n{header}", flush=True)
        results[n] = {}
        for name, params, cursor, page in cases(cursors):
            results[n][name] = measure(app, client, params, cursor, page, args.budget)
            print(line(name, results[n][name]), flush=True)
    summary(results, sizes)


if __name__ == "__main__":
    main()
