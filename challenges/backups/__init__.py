"""Backups: the database and the file store in one archive, and their restore (`flask backup`, `flask restore`).

Why dumping the database first and copying the files after gives a consistent pair: files are named by their
SHA-256 and never change; an upload writes its file before the row that names it commits, so every file a dump
names was in the store when the dump was made; and the sweep deletes only files that no committed row names. A
file the dump names can thus go missing before it is copied only when its row was deleted after the dump and a
sweep ran in between: the backup then fails rather than write an archive that lacks it.
"""
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import URL, inspect, literal, select
from sqlalchemy.exc import OperationalError

from challenges import clock, read_cache
from challenges.backups import archive, postgres, sqlite
from challenges.backups.errors import BackupError, where
from challenges.extensions import db
from challenges.storage import MissingFile, storage

__all__ = ["BackupError", "Summary", "create", "restore"]
DIALECTS = {"postgresql": (postgres, "database.dump"), "sqlite": (sqlite, "database.sqlite3")}


@dataclass
class Summary:
    """What a backup wrote or a restore brought back."""

    archive: Path
    revision: str
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    upgraded_to: str | None = None


def _dialect(url: URL):
    backend = url.get_backend_name()
    if backend not in DIALECTS:
        raise BackupError(f"Backups cover PostgreSQL and SQLite, not {backend}.")
    return backend, *DIALECTS[backend]


def default_name() -> Path:
    """An archive named by the moment it is made, in the working directory."""
    return Path(f"challenges-backup-{clock.now():%Y%m%dT%H%M%SZ}.tar")


def create(path: Path, *, allow_missing_files: bool = False) -> Summary:
    """Dump the database, then copy every file it names, into one archive at `path`."""
    url = db.engine.url
    backend, dialect, member = _dialect(url)
    store = storage()
    writer = archive.Writer(path)
    try:
        with tempfile.TemporaryDirectory(prefix="challenges-backup-") as work:
            dump = Path(work) / member
            with dialect.dumped(url, dump, Path(work)) as found:
                with dump.open("rb") as stream:
                    writer.add(member, stream, dump.stat().st_size)
                summary = Summary(archive=path, revision=found.revision)
                for sha256 in sorted(found.files):
                    _copy_file(writer, store, sha256, summary)
        if summary.missing and not allow_missing_files:
            raise BackupError(
                f"{len(summary.missing)} file(s) the database names cannot be read from the store ({summary.missing[0]}"
                " first): a sweep removed them during the backup, or the store lost them. Run the backup again, or"
                " pass --allow-missing-files to archive the rest.")
        writer.finish({
            "format": archive.FORMAT, "version": archive.VERSION, "created_at": clock.now().isoformat(),
            "database": {"dialect": backend, "server": found.server_version, "alembic_revision": found.revision,
                         "member": member},
            "files": {"count": summary.files, "bytes": summary.bytes, "missing": summary.missing},
        })
    except BaseException:
        writer.abort()
        raise
    return summary


def _copy_file(writer: archive.Writer, store, sha256: str, summary: Summary) -> None:
    try:
        with store.open(sha256) as stream:
            size = writer.add_stored(sha256, stream)
    except MissingFile:
        size = None
    except Exception as error:  # a folder's or a bucket's failures, or a full disk: the operator needs the one line
        raise BackupError(f"A file cannot be copied from the store into the archive ({_reason(error)}).") from None
    if size is None:  # gone, or its bytes no longer match their hash
        summary.missing.append(sha256)
    else:
        summary.files, summary.bytes = summary.files + 1, summary.bytes + size


def restore(path: Path, *, force: bool = False) -> Summary:
    """Check an archive whole, then replace the database and put its files into the store."""
    url = db.engine.url
    backend, dialect, _ = _dialect(url)
    with archive.reading(path) as tar:
        found = archive.manifest(tar)
        database = found["database"]
        holds_data = _holds_data()  # first, as it also finds out whether the database can be reached
        if database["dialect"] != backend:
            raise BackupError(f"{path} holds a {database['dialect']} database; DATABASE_URL names a {backend} one.")
        head = _check_revision(database["alembic_revision"])
        if holds_data and not force:
            raise BackupError("The database holds data: pass --force to replace it with the archive's.")
        archive.verify(tar, found)
        with tempfile.TemporaryDirectory(prefix="challenges-restore-") as work:
            dump = Path(work) / "database"
            archive.extract(tar, database["member"], dump)
            db.session.remove()
            db.engine.dispose()  # no pooled connection keeps a lock, or a plan made for the tables replaced
            dialect.load(url, dump, Path(work))
            db.engine.dispose()
        read_cache.drop_all()  # the cached answers are of the database that was replaced
        summary = Summary(archive=path, revision=database["alembic_revision"])
        _put_files(tar, found, summary)
    if database["alembic_revision"] != head:
        upgrade()
        summary.upgraded_to = head
    return summary


def _put_files(tar, found: dict, summary: Summary) -> None:
    store = storage()
    try:
        for sha256, stream in archive.stored_files(tar):
            store.put(sha256, stream)
            summary.files += 1
            summary.bytes += found["members"][archive.file_member(sha256)]["bytes"]
    except Exception as error:  # a folder or a bucket, each with its own failures: the operator needs the one line
        raise BackupError(f"The database is restored, but the files are not all back in the store ({_reason(error)}): "
                          "run the restore again with --force.") from None


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")


def _check_revision(revision: str) -> str:
    """This code's head revision; a BackupError for an archive made by a newer version of the code."""
    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    head = scripts.get_current_head()
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise BackupError(f"The archive's database is at migration {revision}, which this code does not know "
                          f"(it stops at {head}): restore it with the code that made it, or a newer one.") from None
    return head


def _holds_data() -> bool:
    """Whether any of the application's tables holds a row."""
    try:
        with db.engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            return any(connection.scalar(select(literal(1)).select_from(table).limit(1))
                       for table in db.metadata.sorted_tables if table.name in present)
    except OperationalError as error:
        raise BackupError(f"The database at {where(db.engine.url)} cannot be reached: "
                          f"{str(error.orig).splitlines()[0]}") from None

