"""SQLite: dumps and restores through SQLite's online backup API, which copies a consistent database while others
read and write it."""
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import URL, create_engine
from sqlalchemy.pool import NullPool

from challenges.backups import snapshot
from challenges.backups.errors import BackupError

BUSY_SECONDS = 30  # how long a copy waits for another connection's write to end


def _path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored: set DATABASE_URL to a file.")
    return Path(url.database)


def _copy(source: Path, target: Path) -> None:
    """Copy a database page by page, in one read transaction of the source."""
    try:
        with closing(sqlite3.connect(source, timeout=BUSY_SECONDS)) as origin, \
                closing(sqlite3.connect(target, timeout=BUSY_SECONDS)) as copy:
            origin.backup(copy)
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite database at {source} cannot be copied: {error}.") from None


@contextmanager
def dumped(url: URL, target: Path, work: Path) -> Iterator[snapshot.Snapshot]:
    """Copy the database to `target`, then read from the copy what it names."""
    source = _path(url)
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source}.")
    _copy(source, target)
    engine = create_engine(URL.create("sqlite", database=str(target)), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = snapshot.read(connection, f"SQLite {sqlite3.sqlite_version}")
    finally:
        engine.dispose()
    yield found


def load(url: URL, dump: Path, work: Path) -> None:
    """Replace the database's contents by the dump's, in one step that other connections wait for."""
    target = _path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API, not a file rename: connections already open see the new contents, and no stale write-ahead
    # log is left beside a replaced file.
    _copy(dump, target)
