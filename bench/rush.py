"""The deadline rush: concurrent clients submit to one challenge while its deadline passes, under gunicorn on
PostgreSQL; nothing sent after the deadline may be accepted, and what reached the server before it should be."""
import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import psycopg  # noqa: E402

from bench import seed  # noqa: E402

AFTER = 1.0  # seconds of load past the deadline
START_MARGIN = 2.0  # seconds between creating the challenge and the load's start, for the clients to get ready
ARRIVED = re.compile(r"this request arrived at (\S+)\.$")
MAX_REQUESTS = 200_000  # a bound on the whole run, far above what 2 cores serve in a few seconds


def arrival(problem) -> datetime | None:
    """When the service says a refused request arrived (the 409 of a closed challenge names it)."""
    found = isinstance(problem, dict) and ARRIVED.search(problem.get("detail", ""))
    return datetime.fromisoformat(found.group(1)) if found else None


def parsed(body: str):
    """A problem+json body as a dict; anything else as its first characters."""
    try:
        return json.loads(body)
    except ValueError:
        return body[:300]


async def client(number: int, url: str, tokens: list[str], start: float, end: float, records: list) -> None:
    """One keep-alive connection submitting as fast as it can from `start` to `end`: (sent, status, detail) each."""
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as session:
        await asyncio.sleep(max(0.0, start - time.time()))
        sent_count = 0
        while (sent := time.time()) < end and len(records) < MAX_REQUESTS:
            sent_count += 1
            entry = {"title": f"Entry {number}.{sent_count}", "summary": "Last-minute entry.",
                     "body": f"Client {number}, attempt {sent_count}: pressure readings, drift and the fix.",
                     "links": [], "accept_terms": True}
            headers = {"Authorization": f"Bearer {tokens[sent_count % len(tokens)]}"}
            try:
                async with session.post(url, json=entry, headers=headers) as response:
                    records.append((sent, response.status, None if response.status == 201 else parsed(
                        await response.text())))
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                records.append((sent, None, repr(error)))


async def rush(url: str, tokens: list[str], clients: int, start: float, end: float) -> list:
    """Run every client, each with its own slice of the token pool; all the records."""
    records: list = []
    await asyncio.gather(*(client(n, url, tokens[n::clients], start, end, records) for n in range(clients)))
    return records


def report(records: list, deadline: datetime, start: float, stored: tuple) -> bool:
    """Print the figures; whether the run passed."""
    t = deadline.timestamp()
    accepted = [sent for sent, status, _ in records if status == 201]
    conflicts = [(sent, detail) for sent, status, detail in records if status == 409]
    errors = [(status, detail) for _, status, detail in records if status not in (201, 409)]
    early = sorted(sent for sent, _ in conflicts if sent < t)
    late_accepted = [sent for sent in accepted if sent >= t]
    with_received = [arrived for _, detail in conflicts if (arrived := arrival(detail))]
    received_early = [arrived for arrived in with_received if arrived < deadline]
    count, late_stored = stored
    print(f"requests                      {len(records)}")
    print(f"201 per second before T       {sum(sent < t for sent in accepted) / (t - start):.1f}")
    print(f"201 in all                    {len(accepted)}")
    print(f"errors (not 201 or 409)       {len(errors)}" + (f"   !!! first: {errors[0]}" if errors else ""))
    print(f"409 sent before T             {len(early)}"
          + (f"   (the earliest {(t - early[0]) * 1000:.0f} ms before T)" if early else ""))
    print(f"409 sent after T              {len(conflicts) - len(early)}")
    print(f"201 sent after T              {len(late_accepted)}" + ("   !!! accepted after the deadline" * bool(
        late_accepted)))
    if with_received:
        print(f"409 received before closes_at {len(received_early)}"
              + ("   !!! refused though it reached the server in time" * bool(received_early)))
    else:
        print("409 received before closes_at n/a (no 409 named its arrival)")
    print(f"stored submissions            {count} (201s: {len(accepted)}), {late_stored} at or after closes_at"
          + ("   !!! mismatch" * (count != len(accepted) or late_stored > 0)))
    return not (errors or late_accepted or received_early or late_stored or count != len(accepted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=seed.DEFAULT_URL, help="a PostgreSQL database to wipe and use")
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--lead", type=float, default=6.0, help="seconds of load before the deadline")
    parser.add_argument("--participants", type=int, default=600)
    args = parser.parse_args()
    if args.participants < args.clients:
        parser.error("every client needs a token of its own: --participants must be at least --clients")

    seed.reset_database(args.url)
    seed.flush_redis()
    server = None
    # One app context throughout: the owner made while seeding creates the challenge once the server is up.
    with seed.seeding_app(args.url).app_context(), tempfile.TemporaryDirectory(prefix="bench-rush-") as tmp:
        owner, organisation = seed.organisation_with_hooks(3)
        tokens = seed.participant_tokens("p", args.participants, timedelta(days=30))
        try:
            server = seed.Gunicorn("service", "wsgi:app", {
                "DATABASE_URL": args.url, "RATELIMIT_ENABLED": "0", "REDIS_URL": seed.REDIS_URL,
                "WEBHOOKS_ALLOW_PRIVATE": "1", "SPAM_FILTER_ENABLED": "1"}, Path(tmp), "/readyz")
            deadline = datetime.now(UTC) + timedelta(seconds=START_MARGIN + args.lead)
            challenge_id = seed.open_challenge(owner, organisation.id, 0, deadline)
            start = deadline.timestamp() - args.lead
            print(f"{args.clients} clients, {args.participants} participants: load from T-{args.lead:g} s "
                  f"to T+{AFTER:g} s, T = {deadline.isoformat()}", flush=True)
            records = asyncio.run(rush(f"{server.url}/api/v1/challenges/{challenge_id}/submissions", tokens,
                                       args.clients, start, deadline.timestamp() + AFTER))
            if tracebacks := server.log.read_text(errors="replace").count("Traceback"):
                print(f"!!! {tracebacks} tracebacks in the service's log:\n{server.log_tail()}")
        finally:
            if server:
                server.stop()
            seed.flush_redis()
    with psycopg.connect(seed.plain_url(args.url)) as connection:
        stored = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE s.submitted_at >= c.closes_at) FROM submission s "
            "JOIN challenge c ON c.id = s.challenge_id WHERE c.id = %s", [challenge_id]).fetchone()
    if not report(records, deadline, start, stored):
        sys.exit(1)


if __name__ == "__main__":
    main()
