"""PostgreSQL: dumps with pg_dump and restores with pg_restore and psql, the password kept off every command line."""
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from challenges.backups import snapshot
from challenges.backups.errors import BackupError, where
# An advisory lock a backup holds alone from before its snapshot until its files are copied; a storage sweep that
# shares it in each of its batches cannot delete a file the dump names meanwhile.
from challenges.services.attachments import SWEEP_PAUSE_KEY

CHUNK = 1024 * 1024
# Whatever a later migration added must not outlive the restore of an older dump: the schema's tables, views,
# sequences, functions and text search configurations go first, in the restore's own transaction. Extensions stay (the dump creates them only if missing), so
# that the database's owner, who need not own them, can restore.
EMPTY_SCHEMA = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
                   CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, item.relname);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public'
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.name);
  END LOOP;
  FOR item IN SELECT c.cfgname FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
              WHERE n.nspname = 'public'
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP TEXT SEARCH CONFIGURATION IF EXISTS public.%I CASCADE', item.cfgname);
  END LOOP;
END $$;
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools, of the server's version "
                          "or newer (Debian: postgresql-client).")
    return path


def _major(version: str) -> int:
    found = re.search(r"(\d+)", version)
    return int(found.group(1)) if found else 0


def _libpq(url: URL, work: Path) -> tuple[str, dict]:
    """The connection URI without its password, and an environment that gives the password through a passfile."""
    environment = os.environ | {"PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    if url.password:
        passfile = work / "pgpass"
        secret = str(url.password).replace("\\", "\\\\").replace(":", "\\:")
        passfile.touch(mode=0o600)
        passfile.write_text(f"*:*:*:*:{secret}\n")
        environment |= {"PGPASSFILE": str(passfile)}
        environment.pop("PGPASSWORD", None)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, environment


def _first_error(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return (errors or lines or ["no message"])[0]


@contextmanager
def connected(url: URL) -> Iterator[Connection]:
    """One connection of its own (closing it releases its locks); a BackupError when the server cannot be reached."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})
    try:
        try:
            connection = engine.connect()
        except OperationalError as error:
            raise BackupError(f"The database at {where(url)} cannot be reached: {_first_error(str(error.orig))}") \
                from None
        with connection:
            yield connection
    finally:
        engine.dispose()


@contextmanager
def dumped(url: URL, target: Path, work: Path) -> Iterator[snapshot.Snapshot]:
    """Dump the database to `target` (pg_dump's custom format); sweeps stay off the store until the block ends."""
    pg_dump = _tool("pg_dump")
    with connected(url) as connection:
        # Taken before the snapshot, so that no sweep batch that began earlier is still deleting files; released
        # when the connection closes.
        connection.execute(select(func.pg_advisory_lock(SWEEP_PAUSE_KEY)))
        server = connection.scalar(text("SHOW server_version"))
        connection.commit()
        client = subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout.strip()
        if _major(client.partition(")")[2]) < _major(server):
            raise BackupError(f"{client} cannot dump a PostgreSQL {server} server: install its version's client tools.")
        connection.execution_options(isolation_level="REPEATABLE READ")
        exported = connection.scalar(text("SELECT pg_export_snapshot()"))  # pg_dump sees exactly what we read
        found = snapshot.read(connection, f"PostgreSQL {server}")
        uri, environment = _libpq(url, work)
        result = subprocess.run([pg_dump, "--format=custom", f"--snapshot={exported}", f"--file={target}",
                                 f"--dbname={uri}"], env=environment, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {_first_error(result.stderr)}")
        connection.rollback()
        yield found


def load(url: URL, dump: Path, work: Path) -> None:
    """Replace the database's contents by the dump's, in one transaction: all of it, or nothing."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    uri, environment = _libpq(url, work)
    # Owners, grants and comments belong to the machine the dump came from: not restored.
    script = [pg_restore, "--no-owner", "--no-privileges", "--no-comments", "--file=-", str(dump)]
    apply = [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--dbname={uri}",
             f"--command={EMPTY_SCHEMA}", "--file=-"]
    logs = {"pg_restore": work / "pg_restore.log", "psql": work / "psql.log"}
    with logs["pg_restore"].open("w") as script_errors, logs["psql"].open("w") as apply_errors:
        producer = subprocess.Popen(script, stdout=subprocess.PIPE, stderr=script_errors, env=environment)
        consumer = subprocess.Popen(apply, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=apply_errors,
                                    env=environment)
        try:
            failed = _forward(producer, consumer)
        finally:
            for process in (producer, consumer):
                if process.poll() is None:  # only after an exception of our own: nothing is committed
                    process.kill()
                    process.wait()
            producer.stdout.close()
            _close(consumer.stdin)
    if failed:
        raise BackupError(f"{failed} failed, and the restore was rolled back: {_first_error(logs[failed].read_text())}")


def _forward(producer: subprocess.Popen, consumer: subprocess.Popen) -> str | None:
    """Pass pg_restore's script to psql; the one that failed, if one did. psql commits only at the end of its
    input, so when pg_restore fails psql is stopped before that end, and its transaction is rolled back."""
    try:
        while chunk := producer.stdout.read(CHUNK):
            consumer.stdin.write(chunk)
    except BrokenPipeError:  # psql stopped at an error and rolled back
        producer.kill()
        producer.wait()
        consumer.wait()
        return "psql"
    if producer.wait() != 0:
        consumer.kill()
        consumer.wait()
        return "pg_restore"
    _close(consumer.stdin)
    return None if consumer.wait() == 0 else "psql"


def _close(stream) -> None:
    try:
        stream.close()
    except BrokenPipeError:  # psql is gone; the pipe closes all the same
        pass
