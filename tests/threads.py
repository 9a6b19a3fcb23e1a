"""Concurrency helpers: run calls in threads released at once."""
import threading
from concurrent.futures import ThreadPoolExecutor


def race(*calls) -> list:
    """Run each call in its own thread, all released at once by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
