"""Backup and restore: the drill (back up, wipe, restore, and the data is back) and what a restore refuses."""
import hashlib
import io
import json
import shutil
import stat
import tarfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import psycopg
import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from challenges import create_app
from challenges.extensions import db
from challenges.models import Challenge, User
from config import TestConfig, database_url
from tests.conftest import POSTGRES_URL
from tests.factories import auth_headers, count, make_challenge, make_organisation, make_submission, make_user

GARBAGE = b"this is no database dump, although the manifest says it is" * 100
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def _store_root(app) -> Path:
    return Path(urlsplit(app.config["STORAGE_URL"]).path)


def _wipe(app) -> None:
    """Lose everything: the schema with its data, and the stored files."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    if app.config["STORAGE_URL"].startswith("file://"):
        shutil.rmtree(_store_root(app), ignore_errors=True)
        _store_root(app).mkdir()


def _revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _scripts(app) -> ScriptDirectory:
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def _run(app, *args):
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


@pytest.fixture
def schema_back(app):
    """The suite's database has its schema again after a test that wiped it, whatever the test's outcome."""
    yield app
    with app.app_context():
        upgrade()


@pytest.fixture
def data(app, client):
    """A challenge, a submission and its attachment, in the suite's database and store."""
    owner, author = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner))
    submission = make_submission(challenge, author)
    upload = client.post(f"/api/v1/submissions/{submission.id}/attachments", headers=auth_headers(author),
                         data={"file": (io.BytesIO(PDF), "report.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    receipt = client.get(f"/api/v1/submissions/{submission.id}", headers=auth_headers(author)).json
    return SimpleNamespace(owner=owner, author=author, challenge=challenge, submission=submission,
                           attachment=upload.json, receipt=receipt)


def _assert_back(client, data) -> None:
    """What `data` made can be read again, through the API, with the tokens that existed then."""
    seen = client.get(f"/api/v1/challenges/{data.challenge.id}")
    assert seen.status_code == 200 and seen.json["submission_count"] == 1
    mine = client.get(f"/api/v1/submissions/{data.submission.id}", headers=auth_headers(data.author))
    assert mine.status_code == 200 and mine.json == data.receipt
    file = client.get(f"/api/v1/attachments/{data.attachment['id']}", headers=auth_headers(data.owner),
                      buffered=True)
    assert file.status_code == 200 and file.data == PDF


@pytest.fixture
def elsewhere(tmp_path):
    """An application on a database and a store of its own, both empty: another machine."""
    if POSTGRES_URL:
        server, _, name = POSTGRES_URL.rpartition("/")
        target = f"{server}/{name}_restore"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (f"{name}_restore",)).fetchone():
                connection.execute(f'CREATE DATABASE "{name}_restore"')
        uri = database_url(target)
    else:
        uri = f"sqlite:///{tmp_path / 'elsewhere.db'}"

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = uri
        STORAGE_URL = f"file://{tmp_path / 'elsewhere-files'}"
        READ_CACHE_URL = None

    made = create_app(Settings)
    _wipe(made)
    yield made
    with made.app_context():
        db.engine.dispose()


def test_operator_backs_up_wipes_and_restores_and_the_data_is_back(app, client, data, schema_back, tmp_path):
    archive = tmp_path / "drill.tar"
    made = _run(app, "backup", archive)
    assert made.exit_code == 0, made.output
    assert f"and 1 file(s) ({len(PDF)} bytes) to {archive}" in made.output
    _wipe(app)
    assert _revision(app) is None and not list(_store_root(app).iterdir())
    restored = _run(app, "restore", archive)
    assert restored.exit_code == 0, restored.output
    assert "Restored the database" in restored.output and "1 file(s)" in restored.output
    _assert_back(client, data)


def test_operator_restores_on_another_machine_and_the_data_is_back(app, data, elsewhere, tmp_path):
    archive = tmp_path / "nightly.tar.gz"
    assert _run(app, "backup", archive).exit_code == 0
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds password hashes
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
    assert manifest["database"]["alembic_revision"] == _revision(app)
    assert manifest["files"] == {"count": 1, "bytes": len(PDF), "missing": []}
    assert f"files/{data.attachment['sha256']}" in names and set(manifest["members"]) == names - {"manifest.json"}
    restored = _run(elsewhere, "restore", archive)
    assert restored.exit_code == 0, restored.output
    _assert_back(elsewhere.test_client(), data)
    assert (_store_root(elsewhere) / data.attachment["sha256"][:2] / data.attachment["sha256"]).read_bytes() == PDF


def test_operator_backs_up_and_restores_files_kept_in_s3(app, client, s3, data, schema_back, tmp_path):
    archive = tmp_path / "s3.tar"
    made = _run(app, "backup", archive)
    assert made.exit_code == 0 and f"1 file(s) ({len(PDF)} bytes)" in made.output, made.output
    _wipe(app)
    s3.delete_object(Bucket="files", Key=f"uploads/{data.attachment['sha256']}")
    restored = _run(app, "restore", archive)
    assert restored.exit_code == 0, restored.output
    _assert_back(client, data)
    listed = s3.list_objects_v2(Bucket="files")["Contents"]
    assert [item["Key"] for item in listed] == [f"uploads/{data.attachment['sha256']}"]


def test_operator_restores_an_older_archive_and_it_is_migrated(elsewhere, tmp_path):
    scripts = _scripts(elsewhere)
    head = scripts.get_current_head()
    older = scripts.get_revision(head).down_revision
    with elsewhere.app_context():
        upgrade(revision=older)
    archive = tmp_path / "old.tar"
    assert _run(elsewhere, "backup", archive).exit_code == 0
    _wipe(elsewhere)
    restored = _run(elsewhere, "restore", archive)
    assert restored.exit_code == 0, restored.output
    assert f"migrated from {older} to {head}" in restored.output
    assert _revision(elsewhere) == head


def test_operator_restores_an_archive_of_newer_code_is_refused(app, data, tmp_path):
    archive = tmp_path / "future.tar"
    assert _run(app, "backup", archive).exit_code == 0
    _rewrite_manifest(archive, lambda manifest: manifest["database"].update(alembic_revision="9999_future"))
    refused = _run(app, "restore", archive, "--force")
    assert refused.exit_code != 0
    assert "migration 9999_future, which this code does not know" in refused.output
    assert count(User) == 2 and _revision(app) == _scripts(app).get_current_head()


def _rewrite_manifest(archive: Path, change, replace: dict | None = None) -> None:
    with tarfile.open(archive) as tar:
        members = [(member, tar.extractfile(member).read()) for member in tar]
    with tarfile.open(archive, "w") as tar:
        for member, body in members:
            if member.name in (replace or {}):
                body = replace[member.name]
                member.size = len(body)
            if member.name == "manifest.json":
                manifest = json.loads(body)
                change(manifest)
                body = json.dumps(manifest).encode()
                member.size = len(body)
            tar.addfile(member, io.BytesIO(body))


def _flip_a_byte(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember("database.sqlite3" if "database.sqlite3" in tar.getnames() else
                               "database.dump").offset_data + 100
    with archive.open("r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0xFF]))


def _cut_short(archive: Path) -> None:
    with archive.open("r+b") as file:
        file.truncate(archive.stat().st_size // 2)


def _drop_a_file(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        members = [(member, tar.extractfile(member).read()) for member in tar]
    with tarfile.open(archive, "w") as tar:
        for member, body in members:
            if not member.name.startswith("files/"):
                tar.addfile(member, io.BytesIO(body))


@pytest.mark.parametrize(("damage", "message"), [
    (_flip_a_byte, "is corrupt: database."),
    (_cut_short, "is not a readable backup archive (unexpected end of data)"),
    (_drop_a_file, "is incomplete: 1 member(s) missing"),
    (lambda archive: archive.write_bytes(b"not an archive"), "is not a readable backup archive"),
    (lambda archive: _rewrite_manifest(archive, lambda manifest: manifest.pop("members")),
     "manifest.json is malformed"),
])
def test_operator_restores_a_damaged_archive_is_refused_and_nothing_changes(app, client, data, tmp_path, damage,
                                                                             message):
    archive = tmp_path / "damaged.tar"
    assert _run(app, "backup", archive).exit_code == 0
    damage(archive)
    with app.app_context():
        db.session.get(Challenge, data.challenge.id).title = "Changed after the backup"
        db.session.commit()
    refused = _run(app, "restore", archive, "--force")
    assert refused.exit_code != 0
    assert message in refused.output and len(refused.output.strip().splitlines()) == 1
    assert client.get(f"/api/v1/challenges/{data.challenge.id}").json["title"] == "Changed after the backup"


def test_operator_restores_a_dump_the_database_cannot_read_and_nothing_changes(app, client, data, tmp_path):
    archive = tmp_path / "unreadable.tar"
    assert _run(app, "backup", archive).exit_code == 0

    def garbage(manifest):  # hashes that match, of bytes that are no dump: only the database can tell
        member = manifest["database"]["member"]
        manifest["members"][member] = {"sha256": hashlib.sha256(GARBAGE).hexdigest(), "bytes": len(GARBAGE)}
    _rewrite_manifest(archive, garbage, replace={"database.dump": GARBAGE, "database.sqlite3": GARBAGE})
    make_user()
    refused = _run(app, "restore", archive, "--force")
    assert refused.exit_code != 0 and len(refused.output.strip().splitlines()) == 1
    assert count(User) == 3
    _assert_back(client, data)


def test_operator_restores_over_data_without_force_is_refused_and_with_force_succeeds(app, client, data, tmp_path):
    archive = tmp_path / "over.tar"
    assert _run(app, "backup", archive).exit_code == 0
    make_user()
    refused = _run(app, "restore", archive)
    assert refused.exit_code != 0
    assert "The database holds data: pass --force" in refused.output
    assert count(User) == 3
    forced = _run(app, "restore", archive, "--force")
    assert forced.exit_code == 0, forced.output
    assert count(User) == 2
    _assert_back(client, data)


def test_operator_backs_up_with_a_file_missing_from_the_store_is_refused_unless_allowed(app, data, tmp_path):
    sha256 = data.attachment["sha256"]
    (_store_root(app) / sha256[:2] / sha256).unlink()
    archive = tmp_path / "holes.tar"
    refused = _run(app, "backup", archive)
    assert refused.exit_code != 0
    assert f"1 file(s) the database names cannot be read from the store ({sha256} first)" in refused.output
    assert not archive.exists() and not list(tmp_path.glob("*.partial"))
    allowed = _run(app, "backup", archive, "--allow-missing-files")
    assert allowed.exit_code == 0, allowed.output
    assert "1 file(s) the database names are not in the archive" in allowed.output
    with tarfile.open(archive) as tar:
        assert json.load(tar.extractfile("manifest.json"))["files"] == {"count": 0, "bytes": 0, "missing": [sha256]}


def test_operator_backs_up_without_a_name_gets_a_dated_archive_and_never_overwrites_one(app, data, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = _run(app, "backup")
    assert made.exit_code == 0, made.output
    [archive] = tmp_path.glob("challenges-backup-*.tar")
    assert archive.name in made.output
    before = archive.read_bytes()
    refused = _run(app, "backup", archive.name)
    assert refused.exit_code != 0 and "already exists" in refused.output
    assert archive.read_bytes() == before


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_operator_backs_up_or_restores_an_unreachable_database_gets_one_line(app, data, tmp_path, command):
    archive = tmp_path / "any.tar"
    assert _run(app, "backup", archive).exit_code == 0
    if command == "backup":
        archive = tmp_path / "another.tar"

    class Unreachable(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://backup:secret-password@127.0.0.1:1/challenges"
        READ_CACHE_URL = None

    nowhere = create_app(Unreachable)
    result = _run(nowhere, command, archive)
    assert result.exit_code != 0
    assert "127.0.0.1:1/challenges cannot be reached" in result.output
    assert "secret-password" not in result.output and len(result.output.strip().splitlines()) == 1


def test_operator_backs_up_without_pg_dump_gets_one_line(postgres, data, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without the PostgreSQL client tools
    result = _run(postgres, "backup", tmp_path / "none.tar")
    assert result.exit_code != 0
    assert result.output.strip() == ("Error: pg_dump is not installed: install the PostgreSQL client tools, of the "
                                     "server's version or newer (Debian: postgresql-client).")
    assert not list(tmp_path.glob("*.tar*"))
