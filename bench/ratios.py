"""Throughput of the service's main endpoints under gunicorn, as a share of a bare Flask app's, with CPU per request."""
import argparse
import http.client
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed  # noqa: E402

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "load.lua"
TARGETS = {"list": 0.25, "detail": 0.30, "submit, new accounts, spam filter on": 0.15,
           "submit, spam filter off": 0.15}


def seed_data(url: str, workdir: Path) -> dict[str, Path]:
    """Seed the database; write the challenge ids and the two kinds of tokens to files for wrk."""
    app = seed.seeding_app(url)
    with app.app_context():
        owner, organisation = seed.organisation_with_hooks(3)
        closes_at = datetime.now(UTC) + timedelta(days=7)
        ids = [seed.open_challenge(owner, organisation.id, n, closes_at) for n in range(1000)]
        files = {"ids": ids, "trusted": seed.participant_tokens("trusted", 100, timedelta(days=30)),
                 "new": seed.participant_tokens("new", 100, timedelta(0))}
    for name, lines in files.items():
        (workdir / f"{name}.txt").write_text("".join(f"{line}\n" for line in lines))
    return {name: workdir / f"{name}.txt" for name in files}


def wrk(url: str, seconds: int, connections: int, *script_args) -> dict:
    """One wrk run: its counts, parsed from the lines the Lua script's done() prints."""
    run = subprocess.run(["wrk", "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s",
                          "--timeout", "10s", "--script", str(WRK_SCRIPT), url, "--", *map(str, script_args)],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = re.search(r"^BENCH (.*)$", run.stdout, re.M)
    if run.returncode or not line:
        raise RuntimeError(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    counts = dict(re.findall(r"(\w+)=(\d+)", line.group(1)))
    result = {key: int(value) for key, value in counts.items()}
    result["sample"] = re.search(r"^SAMPLE ?(.*)$", run.stdout, re.M).group(1)
    return result


def warm_up(server: seed.Gunicorn, path: str, ids: Path | None = None) -> None:
    """Read every URL of the run once, unmeasured, so that the run that counts meets the reads' steady state."""
    paths = [path.replace("{id}", line) for line in ids.read_text().split()] if ids else [path]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    for each in paths:
        connection.request("GET", each)
        connection.getresponse().read()
    connection.close()


def measure(server: seed.Gunicorn, seconds: int, connections: int, path: str, *files: Path) -> dict:
    """Load one endpoint; req/s, CPU ms per request of the server and of PostgreSQL, and the failures."""
    app_before, db_before = seed.cpu_snapshot(server.processes()), seed.cpu_snapshot(seed.postgres_processes())
    result = wrk(server.url + "/", seconds, connections, path, *files)
    app_after, db_after = seed.cpu_snapshot(server.processes()), seed.cpu_snapshot(seed.postgres_processes())
    requests = max(result["requests"], 1)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["app_ms"] = seed.cpu_used(app_before, app_after) * 1000 / requests
    result["db_ms"] = seed.cpu_used(db_before, db_after) * 1000 / requests
    result["errors"] = sum(result[key] for key in ("connect", "read", "write", "timeout"))
    return result


def print_round(number: int, ceiling: dict, results: dict[str, dict]) -> None:
    """The round's table, and a loud line for every endpoint that had a non-2xx answer or a socket error."""
    print(f"\nround {number}")
    print(f"{'endpoint':<38} {'req/s':>7} {'share':>6} {'app ms/req':>10} {'db ms/req':>9} {'non-2xx':>7}")
    for name, result in {"ceiling": ceiling, **results}.items():
        share = result["rps"] / ceiling["rps"]
        print(f"{name:<38} {result['rps']:7.0f} {share:6.2f} {result['app_ms']:10.2f} {result['db_ms']:9.2f} "
              f"{result['non2xx']:7d}")
    for name, result in {"ceiling": ceiling, **results}.items():
        if result["non2xx"] or result["errors"]:
            print(f"!!! {name}: {result['non2xx']} non-2xx answers, socket errors connect {result['connect']} "
                  f"read {result['read']} write {result['write']} timeout {result['timeout']}; "
                  f"first: {result['sample'] or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=seed.DEFAULT_URL, help="a PostgreSQL database to wipe and use")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run `apt-get install -y wrk` (Debian package wrk), then try again.")

    servers, shares, failures = [], {}, 0
    with tempfile.TemporaryDirectory(prefix="bench-ratios-") as tmp:
        workdir = Path(tmp)
        print("seeding: 1,000 open challenges, 100 trusted and 100 new participants, 3 webhooks ...", flush=True)
        seed.reset_database(args.url)
        files = seed_data(args.url, workdir)
        seed.flush_redis()
        service_env = {"DATABASE_URL": args.url, "RATELIMIT_ENABLED": "0", "REDIS_URL": seed.REDIS_URL,
                       "WEBHOOKS_ALLOW_PRIVATE": "1"}
        try:
            ceiling = seed.Gunicorn("ceiling", "bench.ceiling:app", {}, workdir, "/ping")
            servers.append(ceiling)
            service = seed.Gunicorn("service", "wsgi:app", service_env | {"SPAM_FILTER_ENABLED": "1"}, workdir,
                                    "/readyz")
            servers.append(service)
            unfiltered = seed.Gunicorn("service-unfiltered", "wsgi:app", service_env | {"SPAM_FILTER_ENABLED": "0"},
                                       workdir, "/readyz")
            servers.append(unfiltered)
            uncached = seed.Gunicorn("service-uncached", "wsgi:app", service_env | {"READ_CACHE_SECONDS": "0"},
                                     workdir, "/readyz")
            servers.append(uncached)
            load = (args.seconds, args.connections)

            def read(server, path, *files):
                warm_up(server, path, *files)
                return measure(server, *load, path, *files)

            for number in range(1, args.rounds + 1):
                base = read(ceiling, "/ping")
                results = {
                    "list": read(service, "/api/v1/challenges?limit=20"),
                    "detail": read(service, "/api/v1/challenges/{id}", files["ids"]),
                    "list, read cache off": read(uncached, "/api/v1/challenges?limit=20"),
                    "detail, read cache off": read(uncached, "/api/v1/challenges/{id}", files["ids"]),
                    "submit, new accounts, spam filter on": measure(
                        service, *load, "/api/v1/challenges/{id}/submissions", files["ids"], files["new"]),
                    "submit, spam filter off": measure(
                        unfiltered, *load, "/api/v1/challenges/{id}/submissions", files["ids"], files["trusted"]),
                }
                print_round(number, base, results)
                failures += sum(r["non2xx"] + r["errors"] for r in (base, *results.values()))
                for name, result in results.items():
                    shares.setdefault(name, []).append(result["rps"] / base["rps"])
            for server in servers:
                if tracebacks := server.log.read_text(errors="replace").count("Traceback"):
                    print(f"!!! {server.name}: {tracebacks} tracebacks in its log:\n{server.log_tail()}")
        finally:
            for server in servers:
                server.stop()
            seed.flush_redis()

    print(f"\nsummary over {args.rounds} round(s) of {args.seconds} s, {args.connections} connections")
    print(f"{'endpoint':<38} {'median share':>12} {'target':>7}  result")
    for name, values in shares.items():
        median, target = statistics.median(values), TARGETS.get(name)
        verdict = f"{target:7.2f}  {'met' if median >= target else 'MISSED'}" if target else f"{'-':>7}"
        print(f"{name:<38} {median:12.2f} {verdict}")
    if failures:
        print(f"\n!!! {failures} non-2xx answers or socket errors in all: see the lines marked !!! above")
        sys.exit(1)


if __name__ == "__main__":
    main()
