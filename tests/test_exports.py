"""Exports: a challenge's submissions as CSV and as a ZIP with their files, for those who run the challenge."""
import csv
import hashlib
import io
import posixpath
import zipfile
from types import SimpleNamespace

import pytest
from flask import request_finished

from challenges.extensions import db
from challenges.models import Evaluation, Submission
from tests.factories import (
    add_member, auth_headers, make_award, make_challenge, make_organisation, make_submission, make_user,
)

HEADER = "id,title,participant,team,status,submitted_at,content_sha256,revision,shortlisted,score,award"
SUBMITTED_AT = "2030-01-01T12:00:00+00:00"  # the time machine's start
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"


@pytest.fixture
def world(client, time_machine):
    owner, manager, judge, alice, bob, carol, dave = (make_user() for _ in range(7))
    admin = make_user(is_admin=True)
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    challenge = make_challenge(organisation, phase="open", max_team_size=2)
    entries = SimpleNamespace(
        alice=make_submission(challenge, alice, title="Plain"), bob=make_submission(challenge, bob, title="=cmd()"),
        carol=make_submission(challenge, carol, status="withdrawn", title="Gone"),
        dave=make_submission(challenge, dave, status="disqualified", title="@SUM(A1)"))
    team = client.post(f"/api/v1/challenges/{challenge.id}/teams", json={"name": "Rockets"},
                       headers=auth_headers(alice))
    assert team.status_code == 201
    return SimpleNamespace(owner=owner, manager=manager, judge=judge, admin=admin, alice=alice, bob=bob,
                           carol=carol, dave=dave, organisation=organisation, challenge=challenge, entries=entries)


def _export(client, challenge_id, user, kind="csv"):
    return client.get(f"/api/v1/challenges/{challenge_id}/export.{kind}",
                      headers=auth_headers(user) if user else {}, buffered=True)


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode())))


def _upload(client, url, user, content, name):
    response = client.post(url, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data",
                           headers=auth_headers(user))
    assert response.status_code == 201, response.json
    return response.json


def _set_scores(app, submission_id, public, private):
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        submission.public_score, submission.private_score = public, private
        db.session.commit()


def test_owner_exports_csv_with_one_row_per_submission(client, world, time_machine):
    time_machine.travel(days=8)
    make_award(world.challenge, world.challenge.prize_ids[1], world.entries.alice, world.owner)
    response = _export(client, world.challenge.id, world.owner)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="challenge-{world.challenge.id}-submissions.csv"'
    assert response.data.decode().splitlines()[0] == HEADER
    e = world.entries
    assert _rows(response)[1:] == [
        [str(e.alice.id), "Plain", world.alice.display_name, "Rockets", "submitted", SUBMITTED_AT, e.alice.sha256,
         "1", "False", "", "Prize 2"],
        [str(e.bob.id), "'=cmd()", world.bob.display_name, "", "submitted", SUBMITTED_AT, e.bob.sha256,
         "1", "False", "", ""],
        [str(e.carol.id), "Gone", world.carol.display_name, "", "withdrawn", SUBMITTED_AT, e.carol.sha256,
         "1", "False", "", ""],
        [str(e.dave.id), "'@SUM(A1)", world.dave.display_name, "", "disqualified", SUBMITTED_AT, e.dave.sha256,
         "1", "False", "", ""],
    ]


def test_manager_exports_csv_as_a_stream(app, client, world):
    sent = []
    with request_finished.connected_to(lambda _, response, **extra: sent.append(response), app):
        response = _export(client, world.challenge.id, world.manager)
    assert response.status_code == 200 and len(_rows(response)) == 5
    assert sent[0].is_streamed


def test_owner_exports_csv_of_challenge_without_submissions_gets_header_only(client, world):
    empty = make_challenge(world.organisation, phase="open")
    response = _export(client, empty.id, world.owner)
    assert response.status_code == 200
    assert response.data.decode() == HEADER + "\r\n"


@pytest.mark.parametrize("kind", ["csv", "zip"])
@pytest.mark.parametrize("actor, status", [
    ("owner", 200), ("manager", 200), ("admin", 200), ("judge", 403), ("alice", 403), (None, 401),
])
def test_actor_exports_submissions(client, world, kind, actor, status):
    response = _export(client, world.challenge.id, getattr(world, actor) if actor else None, kind)
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == {"csv": "text/csv", "zip": "application/zip"}[kind]
    else:
        assert response.mimetype == "application/problem+json" and response.json["status"] == status


@pytest.mark.parametrize("kind", ["csv", "zip"])
def test_outsider_exports_draft_challenge_gets_404(client, world, kind):
    draft = make_challenge(world.organisation, phase="draft")
    assert _export(client, draft.id, world.alice, kind).status_code == 404
    assert _export(client, draft.id, make_user(), kind).status_code == 404
    assert _export(client, draft.id, world.judge, kind).status_code == 403
    assert _export(client, draft.id, world.manager, kind).status_code == 200


def test_manager_exports_zip_with_csv_and_submission_files(client, world, tmp_path):
    alice_url = f"/api/v1/submissions/{world.entries.alice.id}/attachments"
    report = _upload(client, alice_url, world.alice, PDF, "report.pdf")
    chart = _upload(client, alice_url, world.alice, PNG, "chart.png")
    evil = _upload(client, f"/api/v1/submissions/{world.entries.bob.id}/attachments", world.bob,
                   b"escape attempt\n", "../../../evil.txt")
    _upload(client, f"/api/v1/challenges/{world.challenge.id}/attachments", world.owner, PDF, "brief.pdf")
    response = _export(client, world.challenge.id, world.manager, "zip")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="challenge-{world.challenge.id}-submissions.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    expected = {
        f"attachments/{world.entries.alice.id}/{report['id']}-report.pdf": PDF,
        f"attachments/{world.entries.alice.id}/{chart['id']}-chart.png": PNG,
        f"attachments/{world.entries.bob.id}/{evil['id']}-evil.txt": b"escape attempt\n",
    }
    assert archive.namelist() == ["submissions.csv", *expected]
    assert {name: archive.read(name) for name in expected} == expected
    assert archive.read("submissions.csv") == _export(client, world.challenge.id, world.manager).data
    for name in archive.namelist():
        assert posixpath.normpath(name) == name and not name.startswith("/") and ".." not in name.split("/")
    archive.extractall(tmp_path)
    extracted = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert extracted == sorted(archive.namelist())
    assert hashlib.sha256((tmp_path / "submissions.csv").read_bytes()).hexdigest() == \
        hashlib.sha256(archive.read("submissions.csv")).hexdigest()


def test_owner_exports_zip_of_challenge_without_files_holds_only_the_csv(client, world):
    response = _export(client, world.challenge.id, world.owner, "zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["submissions.csv"]
    assert archive.read("submissions.csv").decode().splitlines()[0] == HEADER


def test_owner_exports_scored_challenge_with_public_score_before_deadline_and_private_after(
        app, client, world, time_machine):
    scored = make_challenge(world.organisation, phase="open", evaluation=Evaluation.SCORED)
    entry = make_submission(scored, world.alice)
    make_submission(scored, world.bob)  # not scored yet: an empty cell
    _set_scores(app, entry.id, 0.5, 0.75)
    scores = [row[9] for row in _rows(_export(client, scored.id, world.owner))[1:]]
    assert scores == ["0.5", ""]
    time_machine.travel(days=8)
    scores = [row[9] for row in _rows(_export(client, scored.id, world.owner))[1:]]
    assert scores == ["0.75", ""]
