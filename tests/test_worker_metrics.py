"""The worker's own metrics over HTTP (WORKER_METRICS_PORT): job runs and failures, read from another process,
behind METRICS_TOKEN; an unusable port refuses to start with one line."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from challenges import jobs
from challenges.telemetry import worker_metrics
from config import ROOT
from config.settings import SETTINGS, read
from tests.test_metrics import free_port, own_app, parse  # noqa: F401  (own_app is a fixture)
from tests.workers import REDIS_URL, queued_app

TOKEN = "a-metrics-token-for-the-tests"
TIMEOUT = 60  # seconds a worker may take to start on a loaded machine (it loads the whole app)
FAILS = "tests.test_worker_metrics.fails"
SUCCEEDS = "tests.test_worker_metrics.succeeds"


def fails() -> None:
    """A background job with a bug."""
    raise ZeroDivisionError("a bug")


def succeeds() -> None:
    """A background job that does nothing, well."""


def _scrape(base: str, token: str | None = TOKEN) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(f"{base}/metrics", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def _jobs(samples: dict, job: str) -> tuple[float, float]:
    """How many runs of `job` were counted, and how many of them failed."""
    labels = frozenset({("job", job)})
    return samples.get(("challenges_jobs_total", labels), 0), samples.get(("challenges_job_failures_total", labels), 0)


def test_operator_scrapes_worker_metrics_and_sees_its_jobs_counted(app):
    with worker_metrics.serving(free_port(), "127.0.0.1", "") as (host, port):
        base = f"http://{host}:{port}"
        before = {job: _jobs(_scrape(base, None), job) for job in (FAILS, SUCCEEDS)}
        with app.app_context():
            jobs.run(SUCCEEDS)
            with pytest.raises(ZeroDivisionError):
                jobs.run(FAILS)
        samples = _scrape(base, None)
    assert _jobs(samples, SUCCEEDS) == (before[SUCCEEDS][0] + 1, before[SUCCEEDS][1])
    assert _jobs(samples, FAILS) == (before[FAILS][0] + 1, before[FAILS][1] + 1)
    with pytest.raises(requests.ConnectionError):  # the block ended: nothing listens any more
        requests.get(f"{base}/metrics", timeout=5)


def test_worker_metrics_with_token_set_anonymous_or_wrong_token_gets_401(app):
    with worker_metrics.serving(free_port(), "127.0.0.1", TOKEN) as (host, port):
        base = f"http://{host}:{port}"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            refused = requests.get(f"{base}/metrics", headers=headers, timeout=5)
            assert (refused.status_code, refused.headers["Content-Type"], refused.headers["WWW-Authenticate"]) == \
                (401, "application/problem+json", 'Bearer realm="challenges"')
            assert refused.json() == {"type": "https://challenges.example/problems/unauthorized",
                                      "title": "Unauthorized", "status": 401,
                                      "detail": "Reading the metrics needs 'Authorization: Bearer <METRICS_TOKEN>'."}
        assert any(name.startswith("process_") for name, _ in _scrape(base))


def test_worker_metrics_without_a_port_serve_nothing():
    with worker_metrics.serving(None, "127.0.0.1", TOKEN) as where:
        assert where is None


def test_operator_sets_a_port_in_use_worker_refuses_with_one_line(own_app):  # noqa: F811  (own_app: a fixture)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # REDIS_URL names nothing that listens: the refusal comes before the worker touches Redis.
        own = own_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", WORKER_METRICS_PORT=port).application
        result = own.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert result.output == (f"Error: WORKER_METRICS_PORT: the worker's metrics cannot be served at 127.0.0.1:{port} "
                             "(Address already in use)\n")


@pytest.mark.parametrize("name, raw, line", [
    ("WORKER_METRICS_PORT", "0", "WORKER_METRICS_PORT: expected a whole number from 1 to 65535 (e.g. 9101), got '0'"),
    ("WORKER_METRICS_PORT", "65536",
     "WORKER_METRICS_PORT: expected a whole number from 1 to 65535 (e.g. 9101), got '65536'"),
    ("WORKER_METRICS_PORT", "metrics",
     "WORKER_METRICS_PORT: expected a whole number from 1 to 65535 (e.g. 9101), got 'metrics'"),
    ("WORKER_METRICS_ADDRESS", "0.0.0.0/0",
     "WORKER_METRICS_ADDRESS: expected a host name or IP address (e.g. 127.0.0.1), got '0.0.0.0/0'"),
])
def test_operator_sets_unusable_worker_metrics_setting_gets_one_line(name, raw, line):
    values, problems = read({name: raw})
    assert problems == {name: line}
    assert (values["WORKER_METRICS_PORT"], values["WORKER_METRICS_ADDRESS"]) == (None, "127.0.0.1")


def test_operator_sets_usable_worker_metrics_settings_gets_them_parsed():
    assert read({"WORKER_METRICS_PORT": " 9101 ", "WORKER_METRICS_ADDRESS": "::"}) == (
        read({})[0] | {"WORKER_METRICS_PORT": 9101, "WORKER_METRICS_ADDRESS": "::"}, {})


def _environ(**settings: str) -> dict[str, str]:
    """This process's environment without any declared variable, plus `settings`."""
    declared = {setting.name for setting in SETTINGS} | {"PROMETHEUS_MULTIPROC_DIR"}
    return {name: value for name, value in os.environ.items() if name not in declared} | settings


def test_operator_starts_worker_with_unusable_port_is_refused_without_traceback():
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                            env=_environ(WORKER_METRICS_PORT="http"), capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", "WORKER_METRICS_PORT: expected a whole number from 1 to 65535 (e.g. 9101), got 'http'\n")


def _until_counted(base: str, job: str, process: subprocess.Popen) -> dict:
    """Scrape the worker until it counts a run of `job`; the samples then."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            samples = _scrape(base)
        except requests.ConnectionError:  # not listening yet
            samples = {}
        if _jobs(samples, job)[0]:
            return samples
        time.sleep(0.2)
    raise AssertionError(f"the worker's metrics never counted {job}")


def test_operator_runs_worker_on_its_own_and_scrapes_its_job_counts_over_http(app, tmp_path):
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    port = free_port()
    with queued_app(app) as queued:
        queued.queue.enqueue(jobs.run, FAILS)  # waiting for the worker as it starts
        environ = _environ(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=REDIS_URL,
                           STORAGE_URL=f"file://{tmp_path / 'files'}", STORAGE_SWEEP_INTERVAL_SECONDS="0",
                           WORKER_METRICS_PORT=str(port), METRICS_TOKEN=TOKEN)
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=environ,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            samples = _until_counted(f"http://127.0.0.1:{port}", "challenges.services.outbox.relay", process)
            samples = _until_counted(f"http://127.0.0.1:{port}", FAILS, process)
            unauthorised = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        finally:
            process.send_signal(signal.SIGTERM)  # RQ's warm shutdown: the job in hand ends first
            try:
                _, errors = process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                _, errors = process.communicate()
    assert _jobs(samples, FAILS) == (1, 1)  # a process of its own: its counts start at zero
    assert _jobs(samples, "challenges.services.outbox.relay") == (1, 0)  # queued by the worker as it starts
    assert unauthorised.status_code == 401
    assert process.returncode == 0, errors  # stopped by its signal, the metrics server with it
    assert f"worker metrics at http://127.0.0.1:{port}/metrics" in errors
