"""Benchmark what the outbox, webhooks and the spam filter add to a submission: ms and SQL statements each."""
import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from bench.challenge_list import ensure_database  # noqa: E402
from challenges import create_app  # noqa: E402
from challenges.extensions import db  # noqa: E402
from challenges.models import Webhook  # noqa: E402
from challenges.services import accounts, challenges, lifecycle, organisations, secrets  # noqa: E402
from config import Config, database_url  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/challenges_bench"
BODY = ("We measure pressure every minute at {n} points of the network and flag the readings that drift "
        "from the neighbours' by more than two standard deviations; the write-up explains the model.")
STATEMENTS: list[str] = []


def scenario(app, name: str, participants: int, *, webhooks: int, new_accounts: bool) -> str:
    """Fresh schema, one open challenge, `participants` each submitting once; the timing line."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        owner = accounts.register(email="owner@bench.example", password="a long password", display_name="Owner")
        organisation = organisations.create(owner, name="Bench")
        challenge = challenges.create(owner, organisation_id=organisation.id, title="Leaks", summary="Find leaks",
                                      closes_at=datetime.now(UTC) + timedelta(days=7),
                                      max_submissions_per_participant=None,
                                      prizes=[{"title": "First", "reward": {"amount": 1000, "currency": "EUR"}}])
        lifecycle.publish(owner, challenge.id)
        for n in range(webhooks):  # registered directly: the bench has no public address to point them at
            db.session.add(Webhook(organisation_id=organisation.id, url=f"https://hooks{n}.example/in",
                                   events=["submission.received"], secret_encrypted=secrets.seal("s"),
                                   created_at=datetime.now(UTC)))
        people = [accounts.register(email=f"p{n}@bench.example", password="a long password", display_name=f"P{n}")
                  for n in range(participants)]
        for person in people:
            person.created_at -= timedelta(days=0 if new_accounts else 30)
        db.session.commit()
        tokens = [accounts.issue_token(email=p.email, password="a long password")[0] for p in people]
        challenge_id = challenge.id
    client, times, counts = app.test_client(), [], []
    for n, token in enumerate(tokens):
        STATEMENTS.clear()
        start = time.perf_counter()
        entry = {"title": f"Entry {n}", "summary": "", "body": BODY.format(n=n), "accept_terms": True}
        response = client.post(f"/api/v1/challenges/{challenge_id}/submissions",
                               headers={"Authorization": f"Bearer {token}"}, json=entry)
        times.append((time.perf_counter() - start) * 1000)
        counts.append(len(STATEMENTS))
        assert response.status_code == 201, response.json
    times.sort()
    return (f"{name:<34} {statistics.median(times):7.2f} {times[int(len(times) * 0.95)]:7.2f} "
            f"{statistics.median(counts):6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help="a PostgreSQL database to wipe and use")
    parser.add_argument("--participants", type=int, default=300)
    args = parser.parse_args()
    ensure_database(args.url)

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url(args.url)
        RATELIMIT_ENABLED = False
        PASSWORD_TIME_COST, PASSWORD_MEMORY_COST = 1, 8  # sign-ups are not what is measured

    app = create_app(BenchConfig)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: STATEMENTS.append(args[2]))
    print(f"{'scenario':<34} {'med ms':>7} {'p95 ms':>7} {'stmts':>6}   ({args.participants} submissions each)")
    print(scenario(app, "trusted, no webhooks", args.participants, webhooks=0, new_accounts=False))
    print(scenario(app, "trusted, 3 webhooks", args.participants, webhooks=3, new_accounts=False))
    print(scenario(app, "new accounts (spam filter), 3 hooks", args.participants, webhooks=3, new_accounts=True))


if __name__ == "__main__":
    main()
