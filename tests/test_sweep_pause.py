"""A storage sweep and a backup never overlap on PostgreSQL: a sweep waits while a backup holds the pause lock, and a
backup waits for a sweep's batch in progress; on SQLite a file swept meanwhile is reported missing instead."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from challenges import backups
from challenges.backups.postgres import connected
from challenges.extensions import db
from challenges.services.attachments import SWEEP_PAUSE_KEY
from challenges.storage import storage
from tests.conftest import POSTGRES_URL
from tests.test_storage_sweep import (  # noqa: F401  (store and world are fixtures)
    PDF, _attach, _files, _Gate, _put, _remove, _sweep, sha256, store, world)

WAIT = 10  # seconds any one step may take before the test gives up on it


def _waits_for_pause(app, mode: str) -> bool:
    """Whether a connection of this database waits for the pause lock in `mode` (ShareLock, ExclusiveLock)."""
    with app.app_context():
        return db.session.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND mode = :mode"
            " AND classid = :high AND objid = :low AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"mode": mode, "high": SWEEP_PAUSE_KEY >> 32, "low": SWEEP_PAUSE_KEY & 0xFFFFFFFF}) > 0


def _until(condition, pending) -> None:
    """Wait, at most WAIT seconds, for `condition()`, while the future `pending` is still running."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline and not pending.done(), "nobody waited for the pause lock"
        time.sleep(0.02)


def _backup(app, path):
    with app.app_context():
        return backups.create(path)


@pytest.mark.postgres
def test_sweep_while_a_backup_holds_the_pause_waits_then_deletes(app, postgres, store):
    orphan = _put(app, b"named by nothing\n")
    with app.app_context():
        url = db.engine.url
    with ThreadPoolExecutor(max_workers=1) as pool:
        with connected(url) as backup:  # what a backup takes before its snapshot
            backup.execute(select(func.pg_advisory_lock(SWEEP_PAUSE_KEY)))
            sweep = pool.submit(_sweep, app)
            _until(lambda: _waits_for_pause(app, "ShareLock"), sweep)
            assert _files(store) == {orphan} and not sweep.done()
        assert sweep.result(timeout=WAIT) == 1  # the connection closed, and the lock with it
    assert _files(store) == set()


@pytest.mark.postgres
def test_backup_keeps_a_file_whose_row_goes_while_it_runs_and_the_sweep_deletes_it_after(
        app, postgres, client, world, store, monkeypatch, tmp_path):
    attachment = _attach(client, world.mine, world.author).json
    gate = _Gate()
    monkeypatch.setattr(backups, "_copy_file", gate.before(backups._copy_file))
    with ThreadPoolExecutor(max_workers=2) as pool:
        backup = pool.submit(_backup, app, tmp_path / "backup.tar")
        assert gate.reached.wait(timeout=WAIT)  # dumped (the file is named), its files not yet copied
        assert _remove(client, attachment, world.author).status_code == 204  # named by nothing now
        sweep = pool.submit(_sweep, app)
        _until(lambda: _waits_for_pause(app, "ShareLock"), sweep)
        assert _files(store) == {sha256(PDF)}
        gate.released.set()
        summary = backup.result(timeout=WAIT)
        assert sweep.result(timeout=WAIT) == 1
    assert (summary.files, summary.bytes, summary.missing) == (1, len(PDF), [])
    assert _files(store) == set()


@pytest.mark.postgres
def test_backup_waits_for_a_sweep_batch_in_progress(app, postgres, store, monkeypatch, tmp_path):
    orphan = _put(app, b"named by nothing\n")
    gate = _Gate()
    with app.app_context():
        monkeypatch.setattr(storage(), "remove", gate.before(storage().remove))
    with ThreadPoolExecutor(max_workers=2) as pool:
        sweep = pool.submit(_sweep, app)
        assert gate.reached.wait(timeout=WAIT)  # the batch holds the pause, shared, and is about to delete
        backup = pool.submit(_backup, app, tmp_path / "backup.tar")
        _until(lambda: _waits_for_pause(app, "ExclusiveLock"), backup)
        gate.released.set()
        assert sweep.result(timeout=WAIT) == 1
        summary = backup.result(timeout=WAIT)
    assert (summary.files, summary.missing) == (0, [])
    assert orphan not in _files(store)


def test_sqlite_backup_reports_a_file_swept_while_it_ran_as_missing(app, client, world, store, monkeypatch,
                                                                    tmp_path):
    if POSTGRES_URL:
        pytest.skip("SQLite only: PostgreSQL pauses the sweep instead")
    attachment = _attach(client, world.mine, world.author).json
    swept = []

    def remove_and_sweep() -> None:
        assert _remove(client, attachment, world.author).status_code == 204
        swept.append(_sweep(app))

    def copy_after_a_sweep(*args):
        if not swept:  # the row goes and a sweep runs between the database's copy and the files'
            pool.submit(remove_and_sweep).result(timeout=WAIT)  # a thread of its own: no context of the backup's
        return copy(*args)

    copy = backups._copy_file
    monkeypatch.setattr(backups, "_copy_file", copy_after_a_sweep)
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(backups.BackupError) as refused:
        _backup(app, tmp_path / "backup.tar")
    assert swept == [1]
    assert str(refused.value).startswith(f"1 file(s) the database names cannot be read from the store ({sha256(PDF)}"
                                         " first): a sweep removed them during the backup")
    assert not (tmp_path / "backup.tar").exists()
