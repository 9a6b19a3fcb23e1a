"""Benchmark answer-key scoring: time and peak memory of parsing, splitting and scoring 1,000,000-row files.

Usage: .venv/bin/python bench/scoring.py [--rows 1000000]

For each kind of key (regression, classes, binary) the script writes an answer key and a predictions file
to a temporary folder, then reports read_key, public_mask, read_predictions and every metric of that kind
on the public and the private part. Each step runs twice: once timed, once under tracemalloc for its peak
(numpy reports its buffers to tracemalloc; tracing slows Python, hence the separate run). The last line
is the process's maximum resident set size. About a minute at 1,000,000 rows.
"""
import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from challenges.services import answer_files  # noqa: E402
from challenges.services.metrics import METRICS  # noqa: E402

KINDS = {  # kind -> (metrics, make targets, make predictions)
    "regression": (["mae", "rmse"], lambda rng, n: rng.normal(50, 10, n), lambda rng, y: y + rng.normal(0, 3, len(y))),
    "classes": (["accuracy", "f1_macro"], lambda rng, n: rng.integers(0, 10, n).astype(float),
                lambda rng, y: np.where(rng.random(len(y)) < 0.7, y, rng.integers(0, 10, len(y)))),
    "binary": (["log_loss", "roc_auc"], lambda rng, n: rng.integers(0, 2, n).astype(float),
               lambda rng, y: np.clip(0.3 * y + 0.7 * rng.random(len(y)), 0, 1)),
}


def write_csv(path: Path, header: str, ids: list[str], values: np.ndarray, integers: bool) -> None:
    """A two-column CSV file of ids and values, in the given row order."""
    texts = [str(int(v)) for v in values] if integers else [f"{v:.6f}" for v in values]
    path.write_text(header + "\n" + "\n".join(f"{i},{t}" for i, t in zip(ids, texts, strict=True)) + "\n")


def measure(label: str, step, *args):
    """Run step twice, print its wall time and its tracemalloc peak, and return its result."""
    start = time.perf_counter()
    result = step(*args)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    step(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  {label:<28} {seconds:7.2f} s  {peak / 2**20:8.1f} MiB peak")
    return result


def read(path: Path, reader, *args):
    """Open path and hand it to reader: the stream is a real file, as a spooled upload would be."""
    with path.open("rb") as stream:
        return reader(stream, *args)


def bench_kind(kind: str, rows: int, folder: Path) -> None:
    """Write one key and one predictions file of this kind, then measure every step on them."""
    names, make_targets, make_predictions = KINDS[kind]
    rng = np.random.default_rng(7)
    ids = [f"row-{i:08d}" for i in rng.permutation(rows)]
    targets = make_targets(rng, rows)
    order = rng.permutation(rows)  # predictions list the ids in another order than the key
    key_path, predictions_path = folder / f"{kind}-key.csv", folder / f"{kind}-predictions.csv"
    write_csv(key_path, "id,target", ids, targets, kind != "regression")
    write_csv(predictions_path, "id,target", [ids[i] for i in order], make_predictions(rng, targets)[order],
              kind == "classes")
    metric = METRICS[names[0]]
    print(f"{kind}: {rows:,} rows, key {key_path.stat().st_size / 2**20:.1f} MiB, "
          f"predictions {predictions_path.stat().st_size / 2**20:.1f} MiB")
    key = measure("read_key", read, key_path, answer_files.read_key, metric)
    mask = measure("public_mask", answer_files.public_mask, key, 0.3)
    predictions, _ = measure("read_predictions", read, predictions_path, answer_files.read_predictions, key,
                             metric)
    for name in names:
        for part, rows_of_part in (("public", mask), ("private", ~mask)):
            measure(f"{name} {part}", METRICS[name].score, key.values[rows_of_part], predictions[rows_of_part])


def main() -> None:
    """Parse the arguments and run every kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        for kind in KINDS:
            bench_kind(kind, rows, Path(folder))
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
