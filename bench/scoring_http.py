"""Benchmark a scored challenge end to end over HTTP: a 1,000,000-row key and predictions file, then scoring.

Usage: .venv/bin/python bench/scoring_http.py [--rows 1000000] [DATABASE_URL]

Uses BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/challenges_bench (schema public is
dropped and rebuilt). Prints the time of the key upload, of the predictions upload (checked against the
key before the 201) and of the background scoring, and the process's maximum resident set size.
"""
import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.challenge_list import ensure_database  # noqa: E402
from challenges import create_app  # noqa: E402
from challenges.extensions import db  # noqa: E402
from config import Config, database_url  # noqa: E402
from tests import factories  # noqa: E402


def csv_of(ids: np.ndarray, values: np.ndarray) -> bytes:
    """A CSV file id,flood built without a Python loop per row."""
    body = np.char.add(np.char.add(ids, ","), values.astype(str))
    return ("id,flood\n" + "\n".join(body.tolist()) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("url", nargs="?", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/challenges_bench"))
    args = parser.parse_args()
    ensure_database(args.url)

    class Settings(Config):
        SQLALCHEMY_DATABASE_URI = database_url(args.url)
        REDIS_URL = None
        RATELIMIT_ENABLED = False

    app = create_app(Settings)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    factories.bind(app)
    owner, participant = factories.make_user(), factories.make_user()
    organisation = factories.make_organisation(owner)
    challenge = factories.make_challenge(organisation, phase="draft", evaluation="scored", judging=None, scoring={
        "metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2})
    rng = np.random.default_rng(7)
    ids = np.char.add("row", np.arange(args.rows).astype(str))
    labels = rng.integers(0, 2, args.rows)
    guesses = np.where(rng.random(args.rows) < 0.8, labels, 1 - labels)
    client = app.test_client()
    key = csv_of(ids, labels)
    started = time.perf_counter()
    response = client.put(f"/api/v1/challenges/{challenge.id}/answer-key", headers=factories.auth_headers(owner),
                          data={"file": (io.BytesIO(key), "key.csv")})
    print(f"key upload      {len(key) / 2**20:6.1f} MiB  {time.perf_counter() - started:6.2f} s  {response.status_code}")
    client.post(f"/api/v1/challenges/{challenge.id}/publish", headers=factories.auth_headers(owner))
    order = rng.permutation(args.rows)  # a shuffled file: aligning it to the key is real work
    predictions = csv_of(ids[order], guesses[order])
    started = time.perf_counter()
    response = client.post(f"/api/v1/challenges/{challenge.id}/submissions", headers=factories.auth_headers(participant),
                           data={"title": "bench", "accept_terms": "true", "file": (io.BytesIO(predictions), "p.csv")})
    answered = time.perf_counter()
    print(f"predictions     {len(predictions) / 2**20:6.1f} MiB  {answered - started:6.2f} s  {response.status_code}")
    response.close()  # scoring runs here, once the response is done
    scored = time.perf_counter()
    evaluation = client.get(f"/api/v1/submissions/{response.json['id']}",
                            headers=factories.auth_headers(participant)).json["evaluation"]
    print(f"scoring                      {scored - answered:6.2f} s  {evaluation}")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
