"""The store keeps what rows name and nothing else: the sweep, its command, its schedule on the worker, and its
races with uploads of the same file."""
import hashlib
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from rq.job import Job
from sqlalchemy import text

from challenges import jobs
from challenges.extensions import db
from challenges.models import Evaluation
from challenges.services import attachments
from challenges.storage import storage
from tests.workers import queued_app
from tests.factories import auth_headers, make_challenge, make_organisation, make_submission, make_user

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
SWEEP = "challenges.services.attachments.sweep_store"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    """A file store of this test's own, so that it holds only what the test put there; its folder."""
    root = tmp_path / "files"
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{root}")
    monkeypatch.setitem(app.extensions, "challenges.storage", None)  # made again from STORAGE_URL, restored after
    return root


@pytest.fixture
def world(time_machine):
    owner, author, other = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, phase="open")
    return SimpleNamespace(owner=owner, author=author, other=other, organisation=organisation,
                           mine=make_submission(challenge, author), theirs=make_submission(challenge, other))


def _files(root: Path) -> set[str]:
    """The names of every file in the store's folder, half-written ones included."""
    return {path.name for path in root.rglob("*") if path.is_file()}


def _put(app, content: bytes) -> str:
    """Bytes in the store that no row names: what an upload that never committed leaves behind."""
    with app.app_context():
        storage().put(sha256(content), io.BytesIO(content))
    return sha256(content)


def _sweep(app) -> int:
    with app.app_context():
        return attachments.sweep_store()


def _attach(client, submission, user, content=PDF):
    return client.post(f"/api/v1/submissions/{submission.id}/attachments", headers=auth_headers(user),
                       data={"file": (io.BytesIO(content), "report.pdf")}, content_type="multipart/form-data")


def _remove(client, attachment, user):
    return client.delete(f"/api/v1/attachments/{attachment['id']}", headers=auth_headers(user))


def _download(client, attachment, user):
    return client.get(f"/api/v1/attachments/{attachment['id']}", headers=auth_headers(user), buffered=True)


def test_sweep_keeps_a_file_another_attachment_names_and_deletes_it_with_the_last(app, client, world, store):
    mine, theirs = _attach(client, world.mine, world.author).json, _attach(client, world.theirs, world.other).json
    assert mine["sha256"] == theirs["sha256"] == sha256(PDF)
    assert _remove(client, mine, world.author).status_code == 204
    assert _sweep(app) == 0
    assert _files(store) == {sha256(PDF)}
    download = _download(client, theirs, world.other)
    assert (download.status_code, download.data) == (200, PDF)
    assert _remove(client, theirs, world.other).status_code == 204
    assert _sweep(app) == 1
    assert _files(store) == set()
    assert _sweep(app) == 0


def test_sweep_deletes_what_a_failed_upload_and_a_deleted_draft_left_and_keeps_the_rest(app, client, world, store):
    kept = _attach(client, world.mine, world.author).json
    draft = make_challenge(world.organisation, phase="draft")
    brief = client.post(f"/api/v1/challenges/{draft.id}/attachments", headers=auth_headers(world.owner),
                        data={"file": (io.BytesIO(b"the brief\n"), "brief.txt")}, content_type="multipart/form-data")
    assert brief.status_code == 201
    assert client.delete(f"/api/v1/challenges/{draft.id}", headers=auth_headers(world.owner)).status_code == 204
    orphan = _put(app, b"stored by an upload that then failed\n")
    assert _files(store) == {kept["sha256"], brief.json["sha256"], orphan}
    assert _sweep(app) == 2
    assert _files(store) == {kept["sha256"]}
    download = _download(client, kept, world.author)
    assert (download.status_code, download.data) == (200, PDF)


def test_sweep_keeps_the_files_answer_keys_and_predictions_name(app, client, store, time_machine):
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "upcoming", evaluation=Evaluation.SCORED, judging=None,
                               scoring={"metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5,
                                        "final_selection_limit": 2})
    key = "".join(["id,label\n", *(f"r{i:02d},{i % 2}\n" for i in range(10))]).encode()
    predictions = "".join(["id,label\n", *(f"r{i:02d},0\n" for i in range(10))]).encode()
    uploaded = client.put(f"/api/v1/challenges/{challenge.id}/answer-key", headers=auth_headers(owner),
                          data={"file": (io.BytesIO(key), "key.csv")}, content_type="multipart/form-data")
    assert (uploaded.status_code, uploaded.json["sha256"]) == (200, sha256(key))
    time_machine.travel(days=2)
    with client.post(f"/api/v1/challenges/{challenge.id}/submissions", headers=auth_headers(participant),
                     data={"title": "Zeros", "accept_terms": "true", "file": (io.BytesIO(predictions), "p.csv")},
                     content_type="multipart/form-data") as submitted:
        assert submitted.status_code == 201, submitted.json
    named = {_put(app, key), _put(app, predictions)}
    _put(app, b"named by nothing\n")
    assert _sweep(app) == 1
    assert _files(store) == named


def test_operator_sweeps_the_store_from_the_command_line(app, store):
    _put(app, b"left behind\n")
    result = app.test_cli_runner().invoke(args=["sweep-storage"])
    assert (result.exit_code, result.stdout) == (0, "1 unreferenced file(s) deleted from the store.\n")  # logs: stderr
    assert _files(store) == set()
    again = app.test_cli_runner().invoke(args=["sweep-storage"])
    assert (again.exit_code, again.stdout) == (0, "0 unreferenced file(s) deleted from the store.\n")


class _Dropped(io.BytesIO):
    """An upload whose connection drops after its first bytes."""

    def read(self, size=-1):
        if self.tell():
            raise OSError("the connection dropped")
        return super().read(4)


def test_store_keeps_nothing_of_a_write_that_fails(app, store):
    with app.app_context(), pytest.raises(OSError):
        storage().put(sha256(PDF), _Dropped(PDF))
    assert _files(store) == set()
    with app.app_context():
        assert list(storage().names()) == []


class _Gate:
    """Stops a function in the thread that calls it until the test lets it go on."""

    def __init__(self):
        self.reached, self.released = threading.Event(), threading.Event()

    def _wait(self) -> None:
        self.reached.set()
        assert self.released.wait(timeout=10)

    def after(self, function):
        def stopped(*args, **kwargs):
            result = function(*args, **kwargs)
            self._wait()
            return result
        return stopped

    def before(self, function):
        def stopped(*args, **kwargs):
            self._wait()
            return function(*args, **kwargs)
        return stopped


@pytest.mark.postgres
def test_sweep_leaves_a_file_to_an_upload_of_it_that_has_not_committed_yet(app, postgres, client, world, store,
                                                                           monkeypatch):
    first = _attach(client, world.mine, world.author).json
    assert _remove(client, first, world.author).status_code == 204  # the file is named by nothing now
    gate = _Gate()
    monkeypatch.setattr(attachments, "_add", gate.after(attachments._add))
    with ThreadPoolExecutor(max_workers=1) as pool:
        upload = pool.submit(_attach, client, world.theirs, world.other)
        assert gate.reached.wait(timeout=10)  # stored, its row added, not committed
        assert _sweep(app) == 0
        assert _files(store) == {sha256(PDF)}
        gate.released.set()
        response = upload.result(timeout=10)
    assert response.status_code == 201, response.json
    download = _download(client, response.json, world.other)
    assert (download.status_code, download.data) == (200, PDF)
    assert _sweep(app) == 0


def _an_upload_waits_for_a_file(app) -> bool:
    with app.app_context():
        return db.session.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")) > 0


@pytest.mark.postgres
def test_upload_of_a_file_the_sweep_is_deleting_waits_then_stores_it_again(app, postgres, client, world, store,
                                                                          monkeypatch):
    first = _attach(client, world.mine, world.author).json
    assert _remove(client, first, world.author).status_code == 204
    gate = _Gate()
    with app.app_context():
        monkeypatch.setattr(storage(), "remove", gate.before(storage().remove))
    with ThreadPoolExecutor(max_workers=2) as pool:
        sweep = pool.submit(_sweep, app)
        assert gate.reached.wait(timeout=10)  # the sweep holds the file and is about to delete it
        upload = pool.submit(_attach, client, world.theirs, world.other)
        deadline = time.monotonic() + 10
        while not _an_upload_waits_for_a_file(app):  # it must wait, not count on the copy about to go
            assert time.monotonic() < deadline and not upload.done(), "the upload did not wait for the sweep"
            time.sleep(0.02)
        gate.released.set()
        assert sweep.result(timeout=10) == 1
        response = upload.result(timeout=10)
    assert response.status_code == 201, response.json
    assert _files(store) == {sha256(PDF)}
    download = _download(client, response.json, world.other)
    assert (download.status_code, download.data) == (200, PDF)


@pytest.fixture
def worker(app, store):
    """An app of its own on the same database and store, whose worker sweeps hourly through Redis (flushed)."""
    with queued_app(app, STORAGE_URL=app.config["STORAGE_URL"], STORAGE_SWEEP_INTERVAL_SECONDS=3600) as worker:
        yield worker


def _start_worker(worker) -> None:
    with worker.app.app_context():
        jobs.work(burst=True)


def test_worker_sweeps_as_it_starts_and_then_once_an_interval_however_many_start(worker, store):
    _put(worker.app, b"left behind before the worker started\n")
    _start_worker(worker)
    assert _files(store) == set()
    scheduled = worker.queue.scheduled_job_registry
    [turn] = scheduled.get_job_ids()
    assert 3590 < (scheduled.get_scheduled_time(turn) - datetime.now(UTC)).total_seconds() <= 3600
    later = _put(worker.app, b"left behind while the first worker ran\n")
    _start_worker(worker)  # a second worker within the interval: no sweep of its own, no second schedule
    assert _files(store) == {later}
    assert scheduled.get_job_ids() == [turn]
    worker.redis.delete(f"{jobs.QUEUE}:ran:{SWEEP}")  # the interval passes: the sweep's turn comes
    scheduled.schedule(Job.fetch(turn, connection=worker.redis), datetime.now(UTC))
    _start_worker(worker)
    assert _files(store) == set()
    assert len(scheduled.get_job_ids()) == 1
    assert (worker.queue.count, worker.queue.failed_job_registry.count) == (0, 0)


def test_worker_with_the_interval_at_zero_never_sweeps(worker, store, monkeypatch):
    monkeypatch.setitem(worker.app.config, "STORAGE_SWEEP_INTERVAL_SECONDS", 0)
    left = _put(worker.app, b"kept while sweeps are off\n")
    _start_worker(worker)
    assert _files(store) == {left}
    assert worker.queue.scheduled_job_registry.get_job_ids() == []
