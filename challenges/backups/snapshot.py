"""What a database dump holds that its archive must know: the migration it is at and the files it names."""
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, select, text

from challenges.backups.errors import BackupError
from challenges.models import Attachment


@dataclass(frozen=True)
class Snapshot:
    """A dumped database: its Alembic revision, the SHA-256 of every file it names, the server's version."""

    revision: str
    files: frozenset[str]
    server_version: str


def read(connection: Connection, server_version: str) -> Snapshot:
    """Read the revision and the named files, in the transaction (and so the snapshot) the dump was made in."""
    if not inspect(connection).has_table("alembic_version"):
        raise BackupError("The database has no schema yet: run `flask --app wsgi db upgrade` first.")
    revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    if revision is None:
        raise BackupError("The database has no migration recorded: run `flask --app wsgi db upgrade` first.")
    # Only attachments need their bytes in the store: answer keys and predictions are kept parsed in the database.
    files = frozenset(connection.scalars(select(Attachment.sha256).distinct()))
    return Snapshot(revision=revision, files=files, server_version=server_version)
