"""Attachments: types judged from the content, size limits and allowances, safe names, who may upload, see and
remove, storage."""
import hashlib
import io
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from flask import request_finished
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from challenges.extensions import db
from challenges.models import Attachment, Revision
from challenges.services import attachments
from challenges.services.submissions import content_sha256
from tests.factories import (
    add_member, auth_headers, count, make_award, make_challenge, make_organisation, make_submission, make_user,
)
from tests.threads import race

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CONTENT = {"title": "My solution", "summary": "It works", "body": "Because", "links": []}  # the factory's
SHA256 = re.compile(r"[0-9a-f]{64}")


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + \
        chunk(b"IEND", b"")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    return buffer.getvalue()


PNG, ZIP = _png(), _zip()


@pytest.fixture
def world(time_machine):
    owner, manager, judge, author, other = (make_user() for _ in range(5))
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    challenge = make_challenge(organisation, phase="open")
    submission = make_submission(challenge, author)
    return SimpleNamespace(owner=owner, manager=manager, judge=judge, author=author, other=other,
                           organisation=organisation, challenge=challenge, submission=submission)


def _upload(client, url, user, content=PDF, name="report.pdf"):
    # The body is encoded here, in memory: the test client would spool a large one to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), name)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       headers=auth_headers(user) if user else {})


def _attach(client, world, user=None, content=PDF, name="report.pdf"):
    return _upload(client, f"/api/v1/submissions/{world.submission.id}/attachments", user or world.author,
                   content, name)


def _download(client, attachment_id, user):
    """Buffered: read whole and closed, as a WSGI server closes what it streamed."""
    return client.get(f"/api/v1/attachments/{attachment_id}", headers=auth_headers(user) if user else {},
                      buffered=True)


def _receipt(client, world):
    body = client.get(f"/api/v1/submissions/{world.submission.id}", headers=auth_headers(world.author)).json
    return body["revision"], body["content_sha256"]


def _storage_root(app) -> Path:
    return Path(urlsplit(app.config["STORAGE_URL"]).path)


def _files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("content, name, content_type", [
    (PDF, "report.pdf", "application/pdf"),
    (PNG, "chart.png", "image/png"),
    (JPEG, "photo.jpeg", "image/jpeg"),
    (ZIP, "data.zip", "application/zip"),
    ("name,score\nÅsa,1\n".encode(), "scores.csv", "text/csv"),
    (b"plain words\n", "notes.txt", "text/plain"),
    (b"# Title\n\n*emphasis*\n", "README.md", "text/markdown"),
    (b"text with no extension\n", "notes", "text/plain"),
])
def test_author_attaches_allowed_type_gets_201_with_judged_type(client, world, content, name, content_type):
    response = _attach(client, world, content=content, name=name)
    assert response.status_code == 201, response.json
    assert isinstance(response.json["id"], int)
    assert {key: response.json[key] for key in ("filename", "size", "content_type", "sha256", "submission_id",
                                                "challenge_id", "uploader_id")} == {
        "filename": name, "size": len(content), "content_type": content_type,
        "sha256": hashlib.sha256(content).hexdigest(), "submission_id": world.submission.id,
        "challenge_id": world.challenge.id, "uploader_id": world.author.id}


@pytest.mark.parametrize("content, name", [
    (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120, "paper.pdf"),
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, "paper.pdf"),
    (bytes(range(128, 256)) * 4, "notes.txt"),
    (b"looks like text\x00but holds a NUL", "notes.txt"),
])
def test_author_attaches_disguised_binary_gets_415(client, world, content, name):
    response = _attach(client, world, content=content, name=name)
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json" and response.json["status"] == 415
    assert count(Attachment) == 0


def test_author_attaches_zip_of_a_word_folder_gets_201(client, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/notes.txt", "my essay, in plain text")
    response = _attach(client, world, content=buffer.getvalue(), name="essay.zip")
    assert response.status_code == 201
    assert response.json["content_type"] == "application/zip"


def test_author_attaches_png_named_csv_gets_image_png(client, world):
    response = _attach(client, world, content=PNG, name="scores.csv")
    assert response.status_code == 201
    assert response.json["content_type"] == "image/png"


def test_author_attaches_type_removed_from_config_gets_415(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_TYPES", "pdf")
    assert _attach(client, world, content=PNG, name="chart.png").status_code == 415
    assert _attach(client, world, content=b"words\n", name="notes.txt").status_code == 415
    assert _attach(client, world).status_code == 201


def test_author_attaches_file_over_limit_gets_413_and_nothing_is_stored(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 1000)
    too_big = PDF + b"0" * (1001 - len(PDF))
    response = _attach(client, world, content=too_big)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json" and response.json["status"] == 413
    assert (count(Attachment), count(Revision)) == (0, 1)
    assert _receipt(client, world) == (1, world.submission.sha256)
    exactly = _attach(client, world, content=too_big[:1000])
    assert exactly.status_code == 201 and exactly.json["size"] == 1000


def test_author_attaches_empty_file_gets_422(client, world):
    response = _attach(client, world, content=b"", name="empty.txt")
    assert response.status_code == 422
    assert "file" in response.json["errors"]


@pytest.mark.parametrize("data", [
    {},
    {"upload": (io.BytesIO(PDF), "report.pdf")},
    {"file": [(io.BytesIO(PDF), "one.pdf"), (io.BytesIO(PDF), "two.pdf")]},
    {"file": (io.BytesIO(PDF), "report.pdf"), "other": (io.BytesIO(PDF), "other.pdf")},
    {"file": (io.BytesIO(PDF), "report.pdf"), "note": "an extra field"},
])
def test_author_sends_malformed_multipart_gets_422(client, world, data):
    response = client.post(f"/api/v1/submissions/{world.submission.id}/attachments", data=data,
                           content_type="multipart/form-data", headers=auth_headers(world.author))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json" and response.json["errors"]
    assert count(Attachment) == 0


def test_author_sends_json_body_gets_415(client, world):
    response = client.post(f"/api/v1/submissions/{world.submission.id}/attachments",
                           json={"file": "JVBERi0="}, headers=auth_headers(world.author))
    assert response.status_code == 415
    assert count(Attachment) == 0


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\win.ini.txt", "win.ini.txt"),
    ("/abs/path.pdf", "path.pdf"),
    ("evil\x00na\x1bme\x07\x7f\t.pdf", "evilname.pdf"),
    ("cod\u202efdp.exe.pdf", "codfdp.exe.pdf"),
    (".hidden.txt", "hidden.txt"),
    ("..", "file"),
    ("a" * 496 + ".pdf", "a" * 200),
    ("Åsa résumé.pdf", "Åsa résumé.pdf"),
])
def test_author_attaches_path_trick_name_gets_safe_name_and_file_stored_by_hash(app, client, world, name, shown):
    root = _storage_root(app)
    around, here = _files_under(root.parent) - _files_under(root), set(Path.cwd().iterdir())
    content = PDF if name.endswith(".pdf") else b"[boot]\n"
    response = _attach(client, world, content=content, name=name)
    assert response.status_code == 201, response.json
    filename = response.json["filename"]
    assert filename == shown
    assert "/" not in filename and "\\" not in filename and not filename.startswith(".") and len(filename) <= 200
    sha256 = hashlib.sha256(content).hexdigest()
    assert (root / sha256[:2] / sha256).read_bytes() == content
    assert all(SHA256.fullmatch(path.name) and path.parent.parent == root for path in _files_under(root))
    assert _files_under(root.parent) - _files_under(root) == around
    assert set(Path.cwd().iterdir()) == here
    download = _download(client, response.json["id"], world.author)
    assert download.data == content
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition and "\n" not in disposition


@pytest.mark.parametrize("actor, status", [
    ("author", 200), ("owner", 200), ("manager", 200), ("judge", 200), ("other", 404), (None, 404),
])
def test_actor_downloads_submission_attachment(client, world, actor, status):
    attachment = _attach(client, world, content=PNG, name="chart.png").json
    response = _download(client, attachment["id"], getattr(world, actor) if actor else None)
    assert response.status_code == status
    if status == 200:
        assert response.data == PNG
        assert response.mimetype == "image/png"
        assert response.headers["Content-Length"] == str(len(PNG))
        assert response.headers["Content-Disposition"] == "attachment; filename=chart.png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    else:
        assert response.mimetype == "application/problem+json" and response.json["status"] == 404


def test_teammate_uploads_and_downloads_team_submission_attachment(client, time_machine):
    owner, captain, mate = make_user(), make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), max_team_size=2)
    submission = make_submission(challenge, captain)
    team = client.post(f"/api/v1/challenges/{challenge.id}/teams", json={"name": "Pair"},
                       headers=auth_headers(captain)).json
    invitation = client.post(f"/api/v1/teams/{team['id']}/invitations", json={"user_id": mate.id},
                             headers=auth_headers(captain)).json
    assert client.post(f"/api/v1/invitations/{invitation['id']}/accept", headers=auth_headers(mate)).status_code == 200
    url = f"/api/v1/submissions/{submission.id}/attachments"
    by_captain, by_mate = _upload(client, url, captain), _upload(client, url, mate, PNG, "chart.png")
    assert (by_captain.status_code, by_mate.status_code) == (201, 201)
    assert _download(client, by_captain.json["id"], mate).data == PDF
    assert _download(client, by_mate.json["id"], captain).data == PNG


@pytest.mark.parametrize("actor, status", [("owner", 201), ("manager", 201), ("judge", 403), ("author", 403)])
def test_actor_attaches_to_challenge(client, world, actor, status):
    response = _upload(client, f"/api/v1/challenges/{world.challenge.id}/attachments", getattr(world, actor))
    assert response.status_code == status
    assert count(Attachment) == (status == 201)
    if status == 201:
        assert response.json["submission_id"] is None and response.json["challenge_id"] == world.challenge.id


def test_anyone_downloads_challenge_attachment_once_published_and_outsiders_not_while_draft(client, world):
    draft = make_challenge(world.organisation, phase="draft")
    hidden = _upload(client, f"/api/v1/challenges/{draft.id}/attachments", world.manager, ZIP, "data.zip")
    public = _upload(client, f"/api/v1/challenges/{world.challenge.id}/attachments", world.manager, ZIP, "data.zip")
    assert (hidden.status_code, public.status_code) == (201, 201)
    for user in (None, world.other, world.judge):
        response = _download(client, public.json["id"], user)
        assert (response.status_code, response.data) == (200, ZIP)
    assert [_download(client, hidden.json["id"], user).status_code for user in (None, world.other)] == [404, 404]
    assert _download(client, hidden.json["id"], world.judge).status_code == 200
    assert _upload(client, f"/api/v1/challenges/{draft.id}/attachments", world.other).status_code == 404
    listed = client.get(f"/api/v1/challenges/{world.challenge.id}/attachments").json["items"]
    assert [item["id"] for item in listed] == [public.json["id"]]


@pytest.mark.parametrize("publish, status", [(True, 200), (False, 404)])
def test_anonymous_downloads_winner_attachment_after_finalisation_when_published(client, world, time_machine,
                                                                                 publish, status):
    challenge = make_challenge(world.organisation, publish_winning_submissions=publish)
    winner, loser = make_submission(challenge, world.author), make_submission(challenge, world.other)
    won = _upload(client, f"/api/v1/submissions/{winner.id}/attachments", world.author).json
    lost = _upload(client, f"/api/v1/submissions/{loser.id}/attachments", world.other, PNG, "chart.png").json
    time_machine.travel(days=8)
    make_award(challenge, challenge.prize_ids[0], winner, world.owner)
    assert _download(client, won["id"], None).status_code == 404  # closed, not yet finalised
    assert client.post(f"/api/v1/challenges/{challenge.id}/finalise",
                       headers=auth_headers(world.owner)).status_code == 200
    assert _download(client, won["id"], None).status_code == status
    assert _download(client, lost["id"], None).status_code == 404
    assert _download(client, lost["id"], world.author).status_code == 404


def test_author_attaches_after_deadline_gets_409(client, world, time_machine):
    time_machine.travel(days=7)
    response = _attach(client, world)
    assert response.status_code == 409
    assert count(Attachment) == 0


def test_author_attaches_to_withdrawn_submission_gets_409(client, world):
    withdrawn = make_submission(world.challenge, world.author, status="withdrawn")
    response = _upload(client, f"/api/v1/submissions/{withdrawn.id}/attachments", world.author)
    assert response.status_code == 409


@pytest.mark.parametrize("actor, status", [("owner", 403), ("judge", 403), ("other", 404), (None, 401)])
def test_non_author_attaches_to_submission_is_refused(client, world, actor, status):
    response = _upload(client, f"/api/v1/submissions/{world.submission.id}/attachments",
                       getattr(world, actor) if actor else None)
    assert response.status_code == status
    assert count(Attachment) == 0


def test_author_attaches_and_removes_files_and_each_change_is_a_revision(client, world):
    first = _attach(client, world).json
    assert _receipt(client, world) == (2, content_sha256(**CONTENT, attachments=[first["sha256"]]))
    second = _attach(client, world, content=PNG, name="chart.png").json
    both = sorted([first["sha256"], second["sha256"]])
    assert _receipt(client, world) == (3, content_sha256(**CONTENT, attachments=both))
    assert client.delete(f"/api/v1/attachments/{first['id']}", headers=auth_headers(world.author)).status_code == 204
    assert _receipt(client, world) == (4, content_sha256(**CONTENT, attachments=[second["sha256"]]))
    assert _download(client, first["id"], world.author).status_code == 404
    assert client.delete(f"/api/v1/attachments/{second['id']}", headers=auth_headers(world.author)).status_code == 204
    assert _receipt(client, world) == (5, world.submission.sha256)
    assert count(Revision) == 5


@pytest.mark.parametrize("actor, status", [("owner", 403), ("manager", 403), ("other", 404), (None, 401)])
def test_non_uploader_removes_attachment_is_refused(client, world, actor, status):
    attachment = _attach(client, world).json
    response = client.delete(f"/api/v1/attachments/{attachment['id']}",
                             headers=auth_headers(getattr(world, actor)) if actor else {})
    assert response.status_code == status
    assert count(Attachment) == 1


def test_author_removes_attachment_after_deadline_gets_409(client, world, time_machine):
    attachment = _attach(client, world).json
    time_machine.travel(days=7)
    response = client.delete(f"/api/v1/attachments/{attachment['id']}", headers=auth_headers(world.author))
    assert response.status_code == 409
    assert _download(client, attachment["id"], world.author).status_code == 200


def test_author_downloads_large_file_intact_as_a_stream(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 6 * 1024 * 1024)
    content = PDF + os.urandom(5 * 1024 * 1024)
    uploaded = _attach(client, world, content=content)
    assert uploaded.status_code == 201 and uploaded.json["size"] == len(content)
    sent = []
    with request_finished.connected_to(lambda _, response, **extra: sent.append(response), app):
        response = _download(client, uploaded.json["id"], world.author)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(content))
    assert hashlib.sha256(response.data).hexdigest() == hashlib.sha256(content).hexdigest()
    assert sent[0].is_streamed and sent[0].direct_passthrough  # a file wrapper, not bytes built in memory


def test_author_uploads_and_downloads_through_s3_storage(client, world, s3):
    content = PDF + os.urandom(64 * 1024)
    uploaded = _attach(client, world, content=content)
    assert uploaded.status_code == 201
    sha256 = hashlib.sha256(content).hexdigest()
    stored = s3.get_object(Bucket="files", Key=f"uploads/{sha256}")["Body"]
    assert stored.read() == content
    stored.close()
    response = _download(client, uploaded.json["id"], world.author)
    assert (response.status_code, response.data) == (200, content)
    assert [item["Key"] for item in s3.list_objects_v2(Bucket="files")["Contents"]] == [f"uploads/{sha256}"]


def test_s3_sweep_deletes_unnamed_objects_under_the_prefix_only(app, client, world, s3):
    kept = _attach(client, world).json
    orphan = hashlib.sha256(b"stored by an upload that failed").hexdigest()
    for key in (f"uploads/{orphan}", "uploads/notes.txt", f"elsewhere/{orphan}"):
        s3.put_object(Bucket="files", Key=key, Body=b"stored by an upload that failed")
    with app.app_context():
        assert attachments.sweep_store() == 1
    assert {item["Key"] for item in s3.list_objects_v2(Bucket="files")["Contents"]} == {
        f"elsewhere/{orphan}", "uploads/notes.txt", f"uploads/{kept['sha256']}"}
    assert _download(client, kept["id"], world.author).data == PDF


def _stored(app, content: bytes) -> bool:
    sha256 = hashlib.sha256(content).hexdigest()
    return (_storage_root(app) / sha256[:2] / sha256).exists()


def test_author_attaches_past_storage_allowance_gets_413_and_nothing_is_stored(app, client, world, monkeypatch):
    notes = b"notes that would not fit in the allowance\n" * 10
    monkeypatch.setitem(app.config, "MAX_USER_STORAGE_BYTES", len(PDF) + len(notes))
    first, second = _attach(client, world).json, _attach(client, world, name="copy.pdf").json
    assert (first["size"], second["size"]) == (len(PDF), len(PDF))  # one stored file, counted twice
    receipt = _receipt(client, world)
    refused = _attach(client, world, content=notes, name="notes.txt")
    assert refused.status_code == 413
    assert refused.mimetype == "application/problem+json"
    assert refused.json["detail"] == (
        f"Your files may take {len(PDF) + len(notes)} bytes in all and {len(notes) - len(PDF)} remain; this one "
        f"holds {len(notes)}. Remove files you no longer need to make room.")
    assert (count(Attachment), _receipt(client, world)) == (2, receipt)
    assert not _stored(app, notes)
    assert client.delete(f"/api/v1/attachments/{second['id']}", headers=auth_headers(world.author)).status_code == 204
    accepted = _attach(client, world, content=notes, name="notes.txt")  # exactly at the allowance
    assert accepted.status_code == 201
    assert _stored(app, notes)
    assert _attach(client, world, content=b"x\n", name="x.txt").status_code == 413


def test_allowance_is_per_uploader_and_counts_challenge_files(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_USER_STORAGE_BYTES", len(PDF))
    challenge_files = f"/api/v1/challenges/{world.challenge.id}/attachments"
    assert _upload(client, challenge_files, world.manager).status_code == 201
    assert _upload(client, challenge_files, world.manager, ZIP, "data.zip").status_code == 413
    assert _upload(client, challenge_files, world.owner).status_code == 201  # another uploader, another allowance
    assert _attach(client, world).status_code == 201
    assert count(Attachment) == 3


def test_author_attaches_with_the_allowance_switched_off_gets_201(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_USER_STORAGE_BYTES", 0)
    assert [_attach(client, world, name=f"{n}.pdf").status_code for n in range(3)] == [201, 201, 201]


@pytest.mark.parametrize("value, limit", [(None, 1024 ** 3), ("", 0), ("0", 0), ("5000", 5000)])
def test_operator_sets_max_user_storage_bytes(value, limit):
    env = {key: val for key, val in os.environ.items() if key != "MAX_USER_STORAGE_BYTES"}
    if value is not None:
        env["MAX_USER_STORAGE_BYTES"] = value
    read = subprocess.run([sys.executable, "-c", "import config; print(config.Config.MAX_USER_STORAGE_BYTES)"],
                          cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True)
    assert (read.returncode, read.stdout) == (0, f"{limit}\n"), read.stderr


@pytest.mark.postgres
def test_participant_uploading_eight_files_at_once_stays_within_the_allowance(app, api, monkeypatch):
    participant, organisation = make_user(), make_organisation(make_user())
    entries = [make_submission(make_challenge(organisation), participant) for _ in range(8)]
    files = [f"allowance race, file {n}\n".encode() * 40 for n in range(8)]
    monkeypatch.setitem(app.config, "MAX_USER_STORAGE_BYTES", 3 * len(files[0]) + len(files[0]) // 2)
    responses = race(*(partial(requests.post, f"{api}/submissions/{entry.id}/attachments", timeout=30,
                               files={"file": ("notes.txt", content)}, headers=auth_headers(participant))
                       for entry, content in zip(entries, files)))
    assert sorted(response.status_code for response in responses) == [201] * 3 + [413] * 5
    assert {r.headers["Content-Type"] for r in responses if r.status_code == 413} == {"application/problem+json"}
    accepted = {response.json()["sha256"] for response in responses if response.status_code == 201}
    with app.app_context():
        assert db.session.scalar(select(func.sum(Attachment.size)).where(Attachment.uploader_id == participant.id)) \
            == 3 * len(files[0])
    assert {hashlib.sha256(content).hexdigest() for content in files if _stored(app, content)} == accepted
