"""Benchmark every list and detail as the data grows: p50 per size, and the largest size's ratio to the smallest.

Usage: .venv/bin/python bench/scale.py [--sizes 1000,10000,100000,1000000] [--requests 30] [--budget 5] [--no-build]
                                       [DATABASE_URL]

Each size N lives in a database of its own, named after the base URL's (BENCH_DATABASE_URL or
postgresql://postgres@127.0.0.1:5432/challenges_scale) and the size: challenges_scale_1k, ..., challenges_scale_1m,
created when missing, schema public dropped and rebuilt. It holds N challenges (bench/challenge_list.py's mix, with
prizes and tags) and, bulk-inserted, N participants, N submissions (a tenth on one busy judged challenge, reviewed
twice each), N questions, N webhook events and deliveries, N notifications, the audit entries of every challenge
created and published and every submission received, N/10 teams and N/20 members of the busiest organisation.
Through app.test_client(), with the read cache off, every list a user reads (first page and a page 90% of the way
down) and every detail is timed at every size, the sizes taking turns.
"""
import argparse
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, make_url, select, text  # noqa: E402

from bench import challenge_list  # noqa: E402
from bench.challenge_list import (  # noqa: E402
    CHALLENGES_SQL, DEADLINES_SQL, PRIZES_SQL, TAGS_SQL, WORDS, ensure_database, pick, size_label, u,
)
from challenges import create_app, pagination  # noqa: E402
from challenges.extensions import db  # noqa: E402
from challenges.models import (  # noqa: E402
    AuditEntry, Challenge, Delivery, Membership, Moderation, Notification, Question, Status, Submission,
    SubmissionStatus, Team,
)
from challenges.models.events import EVENT_TYPES  # noqa: E402
from challenges.services import leaderboards  # noqa: E402
from config import Config, database_url  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/challenges_scale"
FLAT = 1.2  # the largest size's p50 may be at most this multiple of the smallest's
BUSY = 1  # the busy challenge: judged, closed yesterday, of organisation 1; team 1, on it, is the participant's
TOKENS = {"owner": "scale-owner-token", "participant": "scale-participant-token"}
API = "/api/v1"
PAGE = 20  # items per page, the API's default
NOTIFICATION_KINDS = ["submission.received", "question.answered", "announcement.posted", "challenge.deadline_changed"]

# Users: the owners of the organisations (user g owns organisation g), the staff of organisation 1, then the
# participants, the first of whom (:p0) is the participant whose lists are timed.
USERS_SQL = """
INSERT INTO "user" (id, email, password_hash, display_name, is_admin, email_notifications, created_at)
SELECT g, 'u' || g || '@bench.example', 'x', 'Person ' || g, false, true, now() - interval '400 days'
FROM generate_series(1, :p0 + :n - 1) g"""
MEMBERS_SQL = """
INSERT INTO membership (organisation_id, user_id, role, created_at)
SELECT g, g, 'owner', now() - interval '400 days' FROM generate_series(1, :orgs) g
UNION ALL
SELECT 1, :orgs + g, CASE WHEN g <= 2 OR g % 2 = 1 THEN 'judge' ELSE 'manager' END, now() - interval '300 days'
FROM generate_series(1, :staff) g"""
# challenge_list's challenges (CHALLENGES_SQL, PRIZES_SQL, TAGS_SQL) are spread over these organisations.
ORGANISATIONS_SQL = """
INSERT INTO organisation (id, name, description, created_at, updated_at)
SELECT g, 'Organisation ' || g, 'What we work on.', now() - interval '6 years', now() - interval '6 years'
FROM generate_series(1, :orgs) g"""
BUSY_SQL = """
UPDATE challenge SET organisation_id = 1, status = 'published', evaluation = 'judged', moderation = 'visible',
  opens_at = now() - interval '30 days', closes_at = now() - interval '1 day',
  published_at = now() - interval '30 days',
  finalised_at = NULL, cancelled_at = NULL, cancel_reason = NULL, max_submissions_per_participant = NULL,
  max_team_size = 3, created_at = now() - interval '31 days', updated_at = now() - interval '30 days'
WHERE id = 1"""


def spread(first: str, seed: str) -> str:
    """SQL joining challenge c to row g: the busy challenge for g <= first, else a random published (or finalised)
    challenge that has opened."""
    return f"""JOIN challenge c ON c.id = CASE WHEN g <= {first} THEN 1 ELSE 2 + floor((:n - 1) * {u(seed)})::int END
  AND c.status IN ('published', 'finalised') AND c.opens_at < now()"""


# Teams 1 to :busy_teams are on the busy challenge; team k is participants p0 + 2k - 2 (its captain) and p0 + 2k - 1.
TEAMS_SQL = f"""
INSERT INTO team (id, challenge_id, name, captain_id, created_at)
SELECT g, c.id, 'Team ' || g, :p0 + 2 * g - 2, c.opens_at
FROM generate_series(1, :teams) g
{spread(':busy_teams', 'g * 8 + 7')}"""
TEAM_MEMBERS_SQL = """
INSERT INTO team_member (team_id, user_id, challenge_id, joined_at)
SELECT id, captain_id + m, challenge_id, created_at FROM team, generate_series(0, 1) m"""
# A tenth on the busy challenge, one per participant, half from teams; the rest by random participants. Ids follow
# time, as when the service writes them.
SUBMISSIONS_SQL = f"""
INSERT INTO submission (id, challenge_id, participant_id, team_id, title, summary, body, links, status,
  disqualification_reason, shortlisted, submitted_at, updated_at, content_sha256, revision, selected, moderation)
SELECT row_number() OVER (ORDER BY at, g), c.id,
  CASE WHEN g <= :busy THEN :p0 + g - 1 ELSE :p0 + floor(:n * {u('g * 8 + 1')})::int END,
  CASE WHEN g <= 2 * :busy_teams THEN (g + 1) / 2 END, 'Solution ' || g,
  'Combine ' || {pick(WORDS, 'g * 8 + 2')} || ' and ' || {pick(WORDS, 'g * 8 + 3')} || '.',
  repeat('How it works, and why. ', 20), '[]', state, CASE WHEN state = 'disqualified' THEN 'Broke the rules.' END,
  {u('g * 8 + 5')} > 0.95, at, at, md5(g::text) || md5(g::text), 1, false, 'visible'
FROM (SELECT g, CASE WHEN r < 0.03 THEN 'withdrawn' WHEN r < 0.04 THEN 'disqualified' ELSE 'submitted' END AS state
      FROM (SELECT g, {u('g * 8 + 4')} AS r FROM generate_series(1, :n) g) r) s
{spread(':busy', 'g * 8')}
CROSS JOIN LATERAL (SELECT c.opens_at + (least(c.closes_at, now()) - c.opens_at)
  * CASE WHEN g <= :busy THEN g / (:busy + 1.0) ELSE 0.99 * {u('g * 8 + 6')} END AS at) a"""
REVISIONS_SQL = """
INSERT INTO revision (submission_id, number, title, summary, body, links, content_sha256, created_at)
SELECT id, 1, title, summary, body, links, content_sha256, submitted_at FROM submission"""
PARTICIPATIONS_SQL = """
INSERT INTO participation (challenge_id, user_id, terms_version, accepted_at)
SELECT challenge_id, participant_id, 1, min(submitted_at) FROM submission GROUP BY challenge_id, participant_id"""
COUNTS_SQL = """
UPDATE challenge c SET submission_count = s.active
FROM (SELECT challenge_id, count(*) FILTER (WHERE status = 'submitted') AS active FROM submission GROUP BY 1) s
WHERE c.id = s.challenge_id"""
TEAM_SIZE_SQL = "UPDATE challenge SET max_team_size = 3 WHERE id IN (SELECT challenge_id FROM team)"
CRITERIA_SQL = """
INSERT INTO criterion (id, challenge_id, position, name, description, weight, max_score)
VALUES (1, 1, 0, 'Impact', '', 2, 10), (2, 1, 1, 'Feasibility', '', 1, 10)"""
# Two judges review every submission of the busy challenge.
REVIEWS_SQL = f"""
INSERT INTO review (challenge_id, submission_id, judge_id, scores, comment, weighted_score, created_at, updated_at)
SELECT 1, id, :orgs + j, json_build_object('1', a, '2', b), '', (2 * a + b) / 3.0, at, at
FROM (SELECT s.id, j, floor(11 * {u('s.id * 4 + j')}) AS a, floor(11 * {u('s.id * 4 + j + 2')}) AS b,
             s.submitted_at + interval '2 days' AS at
      FROM submission s, generate_series(1, 2) j WHERE s.challenge_id = 1) r"""
# The judges' verdict on each reviewed submission, as services/standings.py keeps it.
STANDINGS_SQL = """
UPDATE submission s SET review_count = r.n, review_score = r.score, review_spread = r.spread, review_order = -r.score
FROM (SELECT submission_id, count(*) AS n, round(avg(weighted_score)::numeric, 9)::float AS score,
             round((max(weighted_score) - min(weighted_score))::numeric, 9)::float AS spread
      FROM review GROUP BY submission_id) r
WHERE s.id = r.submission_id"""
# A tenth on the busy challenge, the rest spread; two in three answered by the organisation's owner; ids follow time.
QUESTIONS_SQL = f"""
INSERT INTO question (id, challenge_id, asker_id, body, created_at, answer_body, answer_official, answerer_id,
  answered_at, moderation, answer_moderation)
SELECT row_number() OVER (ORDER BY at, g), c.id, :p0 + floor(:n * {u('g * 4 + 1')})::int,
  'May we use ' || {pick(WORDS, 'g * 4 + 2')} || ' data?', at,
  CASE WHEN answered THEN 'Yes, within the rules.' END, answered AND g % 3 = 0,
  CASE WHEN answered THEN c.organisation_id END, CASE WHEN answered THEN least(at + interval '1 day', now()) END,
  'visible', 'visible'
FROM (SELECT g, {u('g * 4 + 3')} < 0.67 AS answered FROM generate_series(1, :n) g) q
{spread(':busy', 'g * 4')}
CROSS JOIN LATERAL (SELECT c.opens_at + (least(c.closes_at, now()) - c.opens_at)
  * CASE WHEN g <= :busy THEN g / (:busy + 1.0) ELSE 0.99 * {u('g * 4 + 5')} END AS at) a"""
WEBHOOKS_SQL = """
INSERT INTO webhook (id, organisation_id, url, url_sha256, events, secret_encrypted, created_by, created_at)
SELECT g, g, url, encode(sha256(url::bytea), 'hex'), '["submission.received", "question.asked"]', 'sealed', g,
  now() - interval '300 days'
FROM generate_series(1, :orgs) g, LATERAL (SELECT 'https://hooks.example/' || g AS url) h"""
# One event in ten is organisation 1's, the rest go mostly to the first organisations, like the challenges.
EVENTS_SQL = f"""
INSERT INTO event (id, type, created_at, organisation_id, challenge_id, data)
SELECT g, type, now() - (:n - g) * interval '10 seconds', org, challenge,
  json_build_object('challenge', json_build_object('id', challenge, 'organisation_id', org), 'id', g)
FROM (SELECT g, {pick(list(EVENT_TYPES), 'g * 4')} AS type, 1 + floor(:n * {u('g * 4 + 1')})::int AS challenge,
        CASE WHEN g % 10 = 0 THEN 1 ELSE 1 + floor(:orgs * power({u('g * 4 + 2')}, 3))::int END AS org
      FROM generate_series(1, :n) g) e"""
# One delivery per event to its organisation's webhook; none pending, so nothing is sent while timing.
DELIVERIES_SQL = f"""
INSERT INTO delivery (id, webhook_id, event_id, status, attempts, last_status_code, last_error, next_attempt_at,
  delivered_at, created_at)
SELECT id, organisation_id, id, CASE WHEN failed THEN 'failed' ELSE 'delivered' END, CASE WHEN failed THEN 8 ELSE 1 END,
  CASE WHEN failed THEN 500 ELSE 200 END, CASE WHEN failed THEN 'HTTP 500' END, NULL,
  CASE WHEN failed THEN NULL ELSE created_at + interval '1 second' END, created_at
FROM (SELECT *, {u('id * 4 + 3')} < 0.05 AS failed FROM event) e"""
# One in ten is the timed participant's; their emails are sent already, so nothing is sent while timing.
NOTIFICATIONS_SQL = f"""
INSERT INTO notification (id, user_id, kind, data, created_at, read_at, email_status, email_attempts)
SELECT g, CASE WHEN g % 10 = 0 THEN :p0 ELSE :p0 + floor(:n * {u('g * 4')})::int END,
  {pick(NOTIFICATION_KINDS, 'g * 4 + 1')},
  json_build_object('challenge',
                    json_build_object('id', 1 + floor(:n * {u('g * 4 + 2')})::int, 'title', 'A challenge')),
  at, CASE WHEN {u('g * 4 + 3')} < 0.7 THEN at + interval '1 hour' END, 'sent', 1
FROM generate_series(1, :n) g, LATERAL (SELECT now() - (:n - g) * interval '10 seconds' AS at) a"""
# What the services record: a challenge created and published, a submission received; in the order they happened.
AUDIT_SQL = """
INSERT INTO audit_entry (at, actor_id, organisation_id, action, object_type, object_id, details)
SELECT * FROM (
  SELECT created_at, organisation_id, organisation_id, 'challenge.created', 'challenge', id, '{}'::json FROM challenge
  UNION ALL
  SELECT published_at, organisation_id, organisation_id, 'challenge.published', 'challenge', id, '{}'
  FROM challenge WHERE published_at IS NOT NULL
  UNION ALL
  SELECT s.submitted_at, s.participant_id, c.organisation_id, 'submission.received', 'submission', s.id, '{}'
  FROM submission s JOIN challenge c ON c.id = s.challenge_id) a
ORDER BY 1"""
# The owner of organisation 1 (a member everywhere it matters) and the timed participant sign in with these.
TOKENS_SQL = f"""
INSERT INTO token (user_id, token_hash, created_at, expires_at)
SELECT user_id, encode(sha256(raw::bytea), 'hex'), now(), now() + interval '30 days'
FROM (VALUES (1, '{TOKENS["owner"]}'), (:p0, '{TOKENS["participant"]}')) t (user_id, raw)"""
LOAD = [ORGANISATIONS_SQL, CHALLENGES_SQL, PRIZES_SQL, TAGS_SQL, BUSY_SQL, DEADLINES_SQL, USERS_SQL, MEMBERS_SQL,
        TOKENS_SQL, TEAMS_SQL, TEAM_MEMBERS_SQL, SUBMISSIONS_SQL, REVISIONS_SQL, PARTICIPATIONS_SQL, COUNTS_SQL,
        TEAM_SIZE_SQL, CRITERIA_SQL, REVIEWS_SQL, STANDINGS_SQL, QUESTIONS_SQL, WEBHOOKS_SQL, EVENTS_SQL,
        DELIVERIES_SQL, NOTIFICATIONS_SQL, AUDIT_SQL]
WITH_IDS = ["organisation", "challenge", "prize", "user", "token", "team", "submission", "revision", "participation",
            "criterion", "review", "question", "webhook", "event", "delivery", "notification", "audit_entry"]
COUNTED = ["challenge", "user", "submission", "review", "team", "question", "delivery", "notification", "audit_entry"]
SECONDARY_INDEXES = """SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
FOREIGN_KEYS = """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
  WHERE contype = 'f' AND connamespace = 'public'::regnamespace"""


def shape(n: int) -> dict:
    """The parameters of the data set of size n."""
    orgs, staff = max(10, n // 100), max(10, n // 20)
    busy = max(100, n // 10)
    return {"n": n, "orgs": orgs, "staff": staff, "p0": orgs + staff + 1, "busy": busy, "busy_teams": busy // 4,
            "teams": max(50, n // 10)}


def database_for(url: str, n: int) -> str:
    """The URL of the database that holds the data set of size n: the base name and the size (challenges_scale_1m)."""
    base = make_url(url)
    return base.set(database=f"{base.database}_{size_label(n).lower()}").render_as_string(hide_password=False)


def app_for(url: str):
    """An app on that database with the read cache, Redis and rate limits off: the database path is measured."""

    class Settings(Config):
        SQLALCHEMY_DATABASE_URI = database_url(url)
        REDIS_URL = READ_CACHE_URL = None
        READ_CACHE_SECONDS = 0
        RATELIMIT_ENABLED = False
        LOG_LEVEL = "WARNING"

    return create_app(Settings)


def build(n: int) -> float:
    """A fresh schema from the migrations, then every table of size n in one transaction; the seconds it took."""
    started = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL work_mem = '256MB'"))
        # As a restore does it: the rows first, then each index built and each foreign key checked in one pass.
        indexes, keys = (connection.execute(text(sql)).all() for sql in (SECONDARY_INDEXES, FOREIGN_KEYS))
        for table, name, _ in keys:
            connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        for sql in LOAD:
            connection.execute(text(sql), shape(n))
        for table in WITH_IDS:  # the next row the service adds takes the next id
            connection.execute(text(f"""SELECT setval(pg_get_serial_sequence('"{table}"', 'id'), max(id))
                                    FROM "{table}\""""))
        for _, ddl in indexes:
            connection.execute(text(ddl))
        for table, name, definition in keys:
            connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    db.engine.dispose()
    return time.perf_counter() - started


def table_rows() -> str:
    """How many rows the main tables hold."""
    counts = db.session.execute(text("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in COUNTED))).one()
    db.session.remove()
    return ", ".join(f"{table} {count:,}" for table, count in zip(COUNTED, counts))


@dataclass
class Case:
    """One request timed at every size."""

    name: str
    url: str
    who: str | None = None  # a key of TOKENS, or None for an anonymous request
    wall: list = field(default_factory=list)
    cpu: list = field(default_factory=list)
    result: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict:
        """The Authorization header of the caller, if any."""
        return {"Authorization": f"Bearer {TOKENS[self.who]}"} if self.who else {}


def deep(total: int) -> int:
    """How many items a deep page skips: 90% of the list, or fewer so that the page is still full."""
    return max(0, min(total * 9 // 10, total - PAGE - 1))


def cursor_at(keys: list, condition, descending: bool, reached: bool = False) -> str:
    """The service's cursor for the deep page of a keyset list (see deep()); a ranking's also holds the count."""
    total = db.session.scalar(select(func.count()).where(condition))
    order = [key.desc() if descending else key.asc() for key in keys]
    row = db.session.execute(select(*keys).where(condition).order_by(*order).offset(deep(total)).limit(1)).one()
    if reached:
        return pagination._encode([*keys, pagination.REACHED], [*row, deep(total) + 1])
    return pagination._encode(keys, list(row))


def with_query(path: str, **params) -> str:
    """The path with these query parameters."""
    return f"{path}?{urlencode(params)}"


def challenge_cases(client, cursors: dict[str, str]) -> list[Case]:
    """bench/challenge_list.py's cases of GET /challenges: every sort and filter, first, later and deep pages."""
    out = []
    for name, params, cursor, page in challenge_list.cases(cursors):
        case = Case(f"GET /challenges {name}", "")
        for _ in range(page - 1):  # follow the list to "page 5" once, before timing
            response = client.get(challenge_list.url_for(params, PAGE, cursor))
            if response.status_code != 200:
                case.result = {"error": f"HTTP {response.status_code}"}
                break
            cursor = response.get_json()["next_cursor"]
        case.url = challenge_list.url_for(params, PAGE, cursor)
        out.append(case)
    return out


def other_cases(n: int) -> list[Case]:
    """Every other list a user reads (first page and deep, as its reader) and every detail."""
    p0, busy, member, own = shape(n)["p0"], f"{API}/challenges/{BUSY}", "owner", "participant"
    visible_submissions = (Submission.challenge_id == BUSY) & (Submission.moderation == Moderation.VISIBLE)
    ranked = db.session.scalar(select(func.count()).where(
        visible_submissions, Submission.status == SubmissionStatus.SUBMITTED))
    cursors = {
        "submissions": cursor_at([Submission.challenge_id, Submission.id], visible_submissions, False),
        "questions": cursor_at([Question.id], Question.challenge_id == BUSY, True),
        "notifications": cursor_at([Notification.id], Notification.user_id == p0, True),
        "audit": cursor_at([AuditEntry.id], AuditEntry.organisation_id == 1, True),
        "deliveries": cursor_at([Delivery.id], Delivery.webhook_id == 1, True),
        "members": cursor_at([Membership.user_id], Membership.organisation_id == 1, False),
        "teams": cursor_at([Team.id], Team.challenge_id == BUSY, False),
        "leaderboard": cursor_at(leaderboards.JUDGED_ORDER, leaderboards.judged_ranked(BUSY), False,
                                 reached=True),
    }
    lists = [("submissions", f"{busy}/submissions", member), ("questions", f"{busy}/questions", None),
             ("questions", f"{busy}/questions", member), ("notifications", f"{API}/notifications", own),
             ("audit", f"{API}/organisations/1/audit", member), ("deliveries", f"{API}/webhooks/1/deliveries", member),
             ("members", f"{API}/organisations/1/members", member), ("teams", f"{busy}/teams", member),
             ("leaderboard", f"{busy}/leaderboard", member)]
    out = []
    for kind, path, who in lists:
        label = f"GET {path.removeprefix(API)}" + (f" as {who}" if who else "")
        out += [Case(f"{label} first", with_query(path, limit=PAGE), who),
                Case(f"{label} deep (90%)", with_query(path, limit=PAGE, cursor=cursors[kind]), who)]
    own_submission = db.session.scalar(select(Submission.id).where(
        Submission.challenge_id == BUSY, Submission.participant_id == p0))
    other_submission = db.session.scalar(select(Submission.id).where(Submission.challenge_id == BUSY)
                                         .order_by(Submission.id).offset(ranked // 2).limit(1))
    published = db.session.scalar(select(func.min(Challenge.id)).where(
        Challenge.id >= n // 2, Challenge.status == Status.PUBLISHED))
    db.session.remove()
    return out + [
        Case("GET /challenges/1/submissions as participant", with_query(f"{busy}/submissions", limit=PAGE), own),
        Case("GET /challenges/1", busy), Case("GET /challenges/{id} (another)", f"{API}/challenges/{published}"),
        Case("GET /submissions/{id} as member", f"{API}/submissions/{other_submission}", member),
        Case("GET /submissions/{id} as author", f"{API}/submissions/{own_submission}", own),
        Case("GET /teams/1 as member", f"{API}/teams/1", member),
        Case("GET /teams/1 as captain", f"{API}/teams/1", own),
        Case("GET /organisations/1", f"{API}/organisations/1"),
    ]


def probe(app, client, case: Case) -> None:
    """One request: its status and items, its statements, and the slowest of them under EXPLAIN ANALYZE."""
    if "error" in case.result:
        return
    challenge_list.STATEMENTS.clear()
    response = client.get(case.url, headers=case.headers)
    statements = list(challenge_list.STATEMENTS)
    if response.status_code != 200:
        case.result = {"error": f"HTTP {response.status_code}"}
        return
    body = response.get_json()
    plans = [challenge_list.explain(app, sql, parameters) for sql, parameters in statements
             if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    case.result = {"items": len(body["items"]) if "items" in body else "-", "statements": len(statements),
                   "slowest": max(plans, key=lambda plan: plan["db"])}


def measure(clients: dict, cases: dict[int, list[Case]], requests: int, budget: float) -> None:
    """Up to `requests` timings per case and size, in rounds where the sizes and the cases take turns (so that a
    busy moment of the machine hits every size alike); a case stops once it has 3 timings and took `budget` s."""
    for _ in range(max(3, requests)):
        for row in zip(*cases.values(), strict=True):
            for n, case in zip(cases, row):
                if "error" not in case.result and (len(case.wall) < 3 or sum(case.wall) < budget * 1000):
                    time_once(clients[n], case)
    for case in (case for row in cases.values() for case in row if "error" not in case.result):
        case.result |= {"p50": statistics.median(case.wall), "p95": statistics.quantiles(case.wall, n=20)[-1],
                        "cpu": statistics.median(case.cpu), "runs": len(case.wall)}


def time_once(client, case: Case) -> None:
    """One request's wall and CPU ms (this process: the client and the app, not PostgreSQL)."""
    cpu, wall = time.process_time(), time.perf_counter()
    status = client.get(case.url, headers=case.headers).status_code
    case.wall.append((time.perf_counter() - wall) * 1000)
    case.cpu.append((time.process_time() - cpu) * 1000)
    if status != 200:
        case.result = {"error": f"HTTP {status} while timing"}


HEADER = (f"{'case':<62}{'items':>6}{'p50 ms':>8}{'p95 ms':>8}{'cpu ms':>8}{'runs':>5}{'stmts':>6}{'slow db':>9}"
          f"{'rows':>10}  slowest statement's plan (EXPLAIN ANALYZE, first nodes)")


def line(case: Case) -> str:
    """One row of a size's detail table."""
    r = case.result
    if "error" in r:
        return f"{case.name:<62}{'!!! ' + r['error']:>20}"
    slow = r["slowest"]
    return (f"{case.name:<62}{r['items']:>6}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['cpu']:>8.1f}{r['runs']:>5}"
            f"{r['statements']:>6}{slow['db']:>9.2f}{slow['read']:>10,}  {slow['plan']}")


def summary(results: dict[int, dict[str, dict]], sizes: list[int]) -> bool:
    """p50 wall ms per size and the ratio of the largest size's to the smallest size's whose page holds as many items
    (a sparse filter fills its page only once there are enough rows); whether any row is flagged."""
    flagged = False
    print(f"\n== p50 wall ms per size; ratio: {size_label(sizes[-1])} / {size_label(sizes[0])} (or / the first size "
          f"whose page holds as many items), '!!!' above {FLAT}")
    print(f"{'endpoint':<62}" + "".join(f"{size_label(n):>9}" for n in sizes) + f"{'ratio':>9}")
    for name in results[sizes[0]]:
        row = [results[n][name] for n in sizes]
        cells = "".join(f"{r['error'][:8] if 'error' in r else format(r['p50'], '.1f'):>9}" for r in row)
        if any("error" in r for r in row):
            flagged = True
            print(f"{name:<62}{cells}{'failed':>9}  !!!")
            continue
        base = next(i for i, r in enumerate(row) if r["items"] == row[-1]["items"])
        if base == len(row) - 1:
            print(f"{name:<62}{cells}{'-':>9}  (only {size_label(sizes[-1])} has {row[-1]['items']} items)")
            continue
        ratio = row[-1]["p50"] / row[base]["p50"]
        flagged |= ratio > FLAT
        print(f"{name:<62}{cells}{ratio:>9.2f}" + (f" vs {size_label(sizes[base])}" if base else "")
              + ("  !!!" if ratio > FLAT else ""))
    return flagged


def main() -> None:
    """Build each size, time every case at every size, print a table per size and the comparison; exit 1 when an
    endpoint is not flat or fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="challenges (N), comma-separated")
    parser.add_argument("--requests", type=int, default=30, help="timings per case and size at most (3 at least)")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per case and size after 3 timings")
    parser.add_argument("--no-build", action="store_true", help="time the data sets a previous run built")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    logging.getLogger("challenges.errors").setLevel(logging.CRITICAL)  # a 500 shows in the table, not as a traceback
    clients, cases = {}, {}
    for n in sizes:
        url = database_for(args.url, n)
        ensure_database(url)
        app = app_for(url)
        clients[n] = app.test_client()
        with app.app_context():
            built = "" if args.no_build else f"built in {build(n):.0f} s; "
            event.listen(db.engine, "before_cursor_execute", challenge_list.record)
            print(f"== N = {n:,} ({make_url(url).database}): {built}rows: {table_rows()}", flush=True)
            cursors, others = challenge_list.deep_cursors(), other_cases(n)
        cases[n] = challenge_cases(clients[n], cursors) + others  # requests run outside the app context
        for case in cases[n]:
            probe(app, clients[n], case)
    measure(clients, cases, args.requests, args.budget)
    for n in sizes:
        print(f"\n== N = {n:,}\n{HEADER}")
        for case in cases[n]:
            print(line(case))
    sys.exit(1 if summary({n: {case.name: case.result for case in cases[n]} for n in sizes}, sizes) else 0)


if __name__ == "__main__":
    main()
