"""Scored challenges over HTTP: the answer key, predictions and their scores, quotas, selections and leaderboards."""
import hashlib
import io
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
import requests
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from challenges.extensions import db
from challenges.models import AnswerKey, Evaluation, Participation, Prediction, Submission
from challenges.services import scoring
from challenges.services.answer_files import from_blob, to_blob
from challenges.services.metrics import METRICS
from challenges.services.submissions import content_sha256
from tests.factories import add_member, auth_headers, count, make_challenge, make_organisation, make_user

API = "/api/v1"
NOON = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2030, 1, 2, 0, 0, tzinfo=UTC)
# Keys: ids r01..rNN; with the default public_fraction 0.3, 10 rows split 3 public / 7 private.
CLASSES = [0, 1, 2, 1, 0, 2, 1, 0, 1, 2]
AMOUNTS = [10.0, 12.5, 7.25, 3.0, 18.0, 4.5, 9.0, 11.0, 6.5, 2.0, 15.0, 8.75]  # 12 rows; fraction 0.25: 3 public
BINARY = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
ALTERNATING = [i % 2 for i in range(16)]  # 16 rows; fraction 0.25: 4 public


@pytest.fixture
def world(time_machine):
    """An organisation with an owner, a manager and a judge, and three outside participants."""
    owner, manager, judge = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    return SimpleNamespace(owner=owner, manager=manager, judge=judge, organisation=organisation,
                           alice=make_user(display_name="Alice"), bob=make_user(display_name="Bob"),
                           carol=make_user(display_name="Carol"), clock=time_machine)


def six(score: float) -> float:
    """A score to 6 significant digits, as the service keeps and shows it."""
    return float(f"{score:.6g}")


def csv_of(pairs, target: str = "label") -> bytes:
    """A CSV file id,<target> with the given rows."""
    return ("".join([f"id,{target}\n", *(f"{id_},{value}\n" for id_, value in pairs)])).encode()


def key_file(values, target: str = "label") -> bytes:
    """An answer key with ids r01, r02, ... and the given targets."""
    return csv_of([(f"r{i:02d}", value) for i, value in enumerate(values, start=1)], target)


def draft(world, metric: str = "accuracy", *, fraction: float = 0.3, daily: int = 5, selection: int = 2,
          limit: int | None = 10, **fields) -> SimpleNamespace:
    """A scored draft challenge, without an answer key."""
    settings = {"metric": metric, "public_fraction": fraction, "max_daily_submissions": daily,
                "final_selection_limit": selection}
    return make_challenge(world.organisation, phase="draft", evaluation=Evaluation.SCORED, judging=None,
                          scoring=settings, max_submissions_per_participant=limit, **fields)


def put_key(client, challenge_id: int, user, data: bytes):
    """PUT an answer key as a multipart upload."""
    return client.put(f"{API}/challenges/{challenge_id}/answer-key", headers=auth_headers(user),
                      data={"file": (io.BytesIO(data), "key.csv")}, content_type="multipart/form-data")


def publish(client, challenge_id: int, user):
    """POST /publish."""
    return client.post(f"{API}/challenges/{challenge_id}/publish", headers=auth_headers(user))


def key_rows(client, challenge_id: int) -> list[SimpleNamespace]:
    """The stored key, read back: per row its id, value and whether it is public, in id order."""
    with client.application.app_context():
        arrays = from_blob(db.session.get(AnswerKey, challenge_id).data)
    return [SimpleNamespace(id=id_.decode(), value=float(value), public=bool(public))
            for id_, value, public in zip(arrays["ids"], arrays["values"], arrays["public"], strict=True)]


def scored(client, world, values=CLASSES, metric: str = "accuracy", **settings) -> SimpleNamespace:
    """A published scored challenge (open now, unless opens_at says later) with its key and the key's split."""
    challenge = draft(world, metric, **settings)
    assert put_key(client, challenge.id, world.owner, key_file(values)).status_code == 200
    assert publish(client, challenge.id, world.owner).status_code == 200
    rows = key_rows(client, challenge.id)
    return SimpleNamespace(id=challenge.id, closes_at=challenge.closes_at, prize_ids=challenge.prize_ids, rows=rows,
                           public=[r for r in rows if r.public], private=[r for r in rows if not r.public])


def labels(challenge, public_wrong: int = 0, private_wrong: int = 0) -> bytes:
    """Class predictions, right except on the first `public_wrong` public and `private_wrong` private rows."""
    wrong = {r.id for r in challenge.public[:public_wrong] + challenge.private[:private_wrong]}
    return csv_of([(r.id, (int(r.value) + 1) % 3 if r.id in wrong else int(r.value)) for r in challenge.rows])


def shifted(challenge, public_deltas, private_deltas) -> bytes:
    """Numbers off the key by the given deltas, taken in turn over the public rows and over the private rows."""
    deltas = {r.id: public_deltas[i % len(public_deltas)] for i, r in enumerate(challenge.public)}
    deltas |= {r.id: private_deltas[i % len(private_deltas)] for i, r in enumerate(challenge.private)}
    return csv_of([(r.id, r.value + deltas[r.id]) for r in challenge.rows])


def mae_file(challenge, public: float, private: float) -> bytes:
    """Predictions whose mean absolute error is exactly `public` and `private` on the two parts."""
    return shifted(challenge, [public, -public], [private, -private])


def upload_unclosed(client, challenge_id: int, user, data: bytes, *, title: str = "Run", headers=None, **form):
    """POST a predictions file; its scoring runs only once the caller closes the response."""
    fields = {"title": title, "accept_terms": "true", "file": (io.BytesIO(data), "predictions.csv")} | form
    return client.post(f"{API}/challenges/{challenge_id}/submissions", headers=auth_headers(user) | (headers or {}),
                       data={k: v for k, v in fields.items() if v is not None}, content_type="multipart/form-data")


def upload(client, challenge_id: int, user, data: bytes, **kwargs):
    """POST a predictions file; the response is closed, so the in-process scoring has run when this returns."""
    with upload_unclosed(client, challenge_id, user, data, **kwargs) as response:
        response.get_data()
    return response


def submitted(client, challenge_id: int, user, data: bytes, **kwargs) -> int:
    """The id of a predictions file that was accepted."""
    response = upload(client, challenge_id, user, data, **kwargs)
    assert response.status_code == 201, response.json
    return response.json["id"]


def read(client, submission_id: int, user) -> dict:
    """A submission as the user sees it."""
    response = client.get(f"{API}/submissions/{submission_id}", headers=auth_headers(user))
    assert response.status_code == 200
    return response.json


def quota(client, challenge_id: int, user):
    """GET the user's quota."""
    return client.get(f"{API}/challenges/{challenge_id}/quota", headers=auth_headers(user))


def select(client, challenge_id: int, user, ids):
    """PUT the user's final selection."""
    return client.put(f"{API}/challenges/{challenge_id}/selection", headers=auth_headers(user),
                      json={"submission_ids": ids})


def board(client, challenge_id: int, which: str = "public", user=None):
    """GET a leaderboard, anonymously unless a user is given."""
    return client.get(f"{API}/challenges/{challenge_id}/leaderboard", query_string={"board": which},
                      headers=auth_headers(user) if user else {})


def ranking(response) -> list[tuple]:
    """(rank, participant name, submission id, score) of each entry of a leaderboard page."""
    assert response.status_code == 200, response.json
    return [(e["rank"], e["participant"]["display_name"], e["submission_id"], e["score"])
            for e in response.json["items"]]


def corrupt_prediction(client, submission_id: int) -> None:
    """Spoil the stored predictions of a submission, as a storage fault of ours would."""
    with client.application.app_context():
        db.session.get(Prediction, submission_id).data = b"garbage"
        db.session.commit()


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_manager_uploads_answer_key_and_gets_its_summary(client, world, role):
    challenge = draft(world)
    data = key_file(CLASSES)
    response = put_key(client, challenge.id, getattr(world, role), data)
    assert response.status_code == 200
    assert response.json == {"rows": 10, "public_rows": 3, "private_rows": 7,
                             "sha256": hashlib.sha256(data).hexdigest(), "target": "label", "metric": "accuracy",
                             "prediction_min": None, "prediction_max": None, "uploaded_at": "2030-01-01T12:00:00+00:00"}
    rows = key_rows(client, challenge.id)
    assert [(r.id, r.value) for r in rows] == [(f"r{i:02d}", float(v)) for i, v in enumerate(CLASSES, start=1)]
    assert sum(r.public for r in rows) == 3


def test_manager_uploads_answer_key_with_custom_fraction_and_target(client, world):
    challenge = draft(world, "mae", fraction=0.25)
    response = put_key(client, challenge.id, world.manager, key_file(AMOUNTS, target="price"))
    assert response.status_code == 200
    assert (response.json["rows"], response.json["public_rows"], response.json["private_rows"]) == (12, 3, 9)
    assert (response.json["target"], response.json["metric"]) == ("price", "mae")
    # AMOUNTS run from 2 to 18: a span of 16, widened by as much on each side and rounded outward to tens
    assert (response.json["prediction_min"], response.json["prediction_max"]) == (-20, 40)


@pytest.mark.parametrize("who, status", [("judge", 403), ("alice", 404), (None, 401)])
def test_non_manager_uploads_answer_key_is_refused(client, world, who, status):
    challenge = draft(world)
    headers = auth_headers(getattr(world, who)) if who else {}
    response = client.put(f"{API}/challenges/{challenge.id}/answer-key", headers=headers, content_type=
                          "multipart/form-data", data={"file": (io.BytesIO(key_file(CLASSES)), "key.csv")})
    assert response.status_code == status and response.content_type == "application/problem+json"
    assert count(AnswerKey) == 0


def test_participant_uploads_answer_key_of_published_challenge_gets_403(client, world):
    challenge = scored(client, world, opens_at=NOON + timedelta(days=1))
    response = put_key(client, challenge.id, world.alice, key_file(BINARY))
    assert response.status_code == 403
    assert key_rows(client, challenge.id)[0].value == CLASSES[0]


def test_manager_uploads_answer_key_as_json_gets_415(client, world):
    challenge = draft(world)
    response = client.put(f"{API}/challenges/{challenge.id}/answer-key", headers=auth_headers(world.owner),
                          json={"file": "id,label\nr01,1\nr02,0\n"})
    assert response.status_code == 415 and "multipart" in response.json["detail"]
    assert count(AnswerKey) == 0


@pytest.mark.parametrize("data, message", [
    (b"id,label,extra\nr01,1\nr02,0\n", "Line 1: the header must be id,<target>."),
    (b"key,label\nr01,1\nr02,0\n", "Line 1: the header must be id,<target>."),
    (b"id,label\nr01,1\nr02,0\nr01,2\n", "Line 4: id 'r01' appears again (first on line 2)."),
    (b"id,label\nr01,1\nr02,1.5\n", "Line 3: a class label must be an integer."),
    (b"id,label\nr01,1\nr02,one\n", "Line 3: 'one' is not a number."),
    (b"id,label\nr01,1\nr02,0,7\n", "Line 3: expected 2 columns, found 3."),
    (b"id,label\nr01,1\n,0\n", "Line 3: the id is empty."),
    (b"", "The file is empty."),
    (b"id,label\n", "The file has no rows."),
    (b"id,label\nr01,1\n", "The answer key needs at least 2 rows: one public, one private."),
    (b"id,label\nr\xe9,1\nr02,0\n", "The file is not UTF-8 text."),
])
def test_manager_uploads_malformed_answer_key_gets_422_naming_the_line(client, world, data, message):
    challenge = draft(world)
    response = put_key(client, challenge.id, world.owner, data)
    assert response.status_code == 422
    assert response.json["errors"] == {"file": [message]}
    assert count(AnswerKey) == 0


def test_manager_uploads_roc_auc_key_with_one_class_in_a_part_gets_422(client, world):
    challenge = draft(world, "roc_auc")
    response = put_key(client, challenge.id, world.owner, key_file([1] + [0] * 9))  # the lone 1 leaves a part 0-only
    assert response.status_code == 422 and "both classes" in response.json["errors"]["file"][0]
    assert count(AnswerKey) == 0


def test_manager_replaces_answer_key_while_upcoming(client, world):
    challenge = scored(client, world, opens_at=NOON + timedelta(days=1))
    data = key_file(CLASSES + [0, 1])
    response = put_key(client, challenge.id, world.manager, data)
    assert response.status_code == 200
    assert (response.json["rows"], response.json["public_rows"], response.json["sha256"]) == (
        12, 4, hashlib.sha256(data).hexdigest())
    assert len(key_rows(client, challenge.id)) == 12 and count(AnswerKey) == 1



def _move_past_open(client, world, challenge, moment: str) -> None:
    """Take an open scored challenge to its deadline ("closed", "at-deadline"), or finalise or cancel it."""
    if moment in ("closed", "at-deadline", "finalised"):
        world.clock.now = challenge.closes_at
    if moment == "finalised":
        assert client.post(f"{API}/challenges/{challenge.id}/finalise", headers=auth_headers(world.owner)
                           ).status_code == 200
    if moment == "cancelled":
        assert client.post(f"{API}/challenges/{challenge.id}/cancel", headers=auth_headers(world.owner),
                           json={"reason": "Called off"}).status_code == 200


@pytest.mark.parametrize("moment", ["open", "closed", "finalised", "cancelled"])
def test_manager_uploads_answer_key_once_open_gets_409(client, world, moment):
    challenge = scored(client, world)
    _move_past_open(client, world, challenge, moment)
    response = put_key(client, challenge.id, world.owner, key_file(BINARY))
    assert response.status_code == 409
    assert key_rows(client, challenge.id)[0].value == CLASSES[0]


def test_manager_uploads_answer_key_to_judged_challenge_gets_409(client, world):
    challenge = make_challenge(world.organisation, phase="draft")
    response = put_key(client, challenge.id, world.owner, key_file(CLASSES))
    assert response.status_code == 409 and "judged" in response.json["detail"]
    assert count(AnswerKey) == 0


def test_everyone_reads_a_challenge_through_its_life_never_sees_key_values(client, world):
    """Ids and values of the key are distinctive here, and no response of the whole life of a challenge shows them."""
    challenge = draft(world, "mae", fraction=0.5)
    secret = [("k-" + "q" * 8 + str(i), 1000.3 + i * 7.125) for i in range(6)]
    seen = [put_key(client, challenge.id, world.owner, csv_of(secret, "price"))]
    seen.append(publish(client, challenge.id, world.owner))
    prediction = csv_of([(id_, 1001.5) for id_, _ in secret], "price")
    seen.append(upload(client, challenge.id, world.alice, prediction))
    submission_id = seen[-1].json["id"]
    seen += [client.get(f"{API}/challenges/{challenge.id}"), board(client, challenge.id),
             read_response := client.get(f"{API}/submissions/{submission_id}", headers=auth_headers(world.alice)),
             client.get(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(world.owner))]
    world.clock.now = challenge.closes_at
    seen += [board(client, challenge.id, "private", world.owner),
             client.get(f"{API}/submissions/{submission_id}", headers=auth_headers(world.owner))]
    assert all(response.status_code in (200, 201) for response in seen)
    assert read_response.json["evaluation"]["status"] == "scored"
    texts = [response.get_data(as_text=True) for response in seen]
    for id_, value in secret:
        assert not any(id_ in text or f"{value}" in text for text in texts), id_


def test_manager_publishes_scored_challenge_without_key_gets_409(client, world):
    challenge = draft(world)
    response = publish(client, challenge.id, world.owner)
    assert response.status_code == 409 and "answer key" in response.json["detail"]
    assert client.get(f"{API}/challenges/{challenge.id}", headers=auth_headers(world.owner)).json["status"] == "draft"


def test_manager_publishes_scored_challenge_with_key(client, world):
    challenge = draft(world)
    put_key(client, challenge.id, world.owner, key_file(CLASSES))
    response = publish(client, challenge.id, world.manager)
    assert response.status_code == 200
    assert (response.json["status"], response.json["phase"], response.json["evaluation"]) == (
        "published", "open", "scored")


@pytest.mark.parametrize("change", [{"metric": "f1_macro"}, {"metric": "accuracy", "public_fraction": 0.5}])
def test_manager_publishes_after_changing_scoring_settings_gets_409_until_key_is_uploaded_again(
        client, world, change):
    challenge = draft(world)
    put_key(client, challenge.id, world.owner, key_file(CLASSES))
    patched = client.patch(f"{API}/challenges/{challenge.id}", headers=auth_headers(world.owner),
                           json={"scoring": change})
    assert patched.status_code == 200 and patched.json["scoring"]["metric"] == change["metric"]
    refused = publish(client, challenge.id, world.owner)
    assert refused.status_code == 409 and "upload it again" in refused.json["detail"]
    again = put_key(client, challenge.id, world.owner, key_file(CLASSES))
    assert again.status_code == 200 and again.json["metric"] == change["metric"]
    assert publish(client, challenge.id, world.owner).status_code == 200


def test_participant_uploads_predictions_gets_pending_receipt_then_score(client, world):
    challenge = scored(client, world)
    data = labels(challenge, public_wrong=1)
    response = upload(client, challenge.id, world.alice, data, title="First try")
    assert response.status_code == 201
    body = response.json
    assert body["evaluation"] == {"status": "pending", "public_score": None, "private_score": None, "error": None,
                                  "fault": None}
    assert (body["title"], body["status"], body["revision"], body["submitted_at"]) == (
        "First try", "submitted", 1, "2030-01-01T12:00:00+00:00")
    assert body["participant"] == {"id": world.alice.id, "display_name": "Alice"}
    assert body["content_sha256"] == content_sha256(title="First try", summary="", body="", links=[],
                                                    file_sha256=hashlib.sha256(data).hexdigest())
    seen = read(client, body["id"], world.alice)
    assert seen["evaluation"] == {"status": "scored", "public_score": 0.666667, "private_score": None,
                                  "error": None, "fault": None}
    assert count(Prediction) == 1
    assert client.get(f"{API}/challenges/{challenge.id}").json["submission_count"] == 1


def _one_class_f1_macro(rows) -> float:
    """Macro F1 when the first row's class is predicted for every row: that class has precision n / rows and
    recall 1, so F1 = 2n / (rows + n); every other class present scores 0."""
    n = sum(r.value == rows[0].value for r in rows)
    return 2 * n / (len(rows) + n) / len({r.value for r in rows})


@pytest.mark.parametrize("metric, values, settings, predictions, public, private", [
    # accuracy: 1 of the 3 public rows wrong, 2 of the 7 private rows wrong
    ("accuracy", CLASSES, {}, lambda c: labels(c, 1, 2), 2 / 3, 5 / 7),
    # f1_macro: the public rows right; on the private rows, the first private row's class predicted everywhere
    ("f1_macro", CLASSES, {}, lambda c: csv_of([(r.id, int(r.value) if r.public else int(c.private[0].value))
                                               for r in c.rows]), 1.0, lambda c: _one_class_f1_macro(c.private)),
    # mae: public errors 1, 1, 3 -> 5/3; private errors all 0.5
    ("mae", AMOUNTS, {"fraction": 0.25}, lambda c: shifted(c, [1, -1, 3], [0.5, -0.5]), 5 / 3, 0.5),
    # rmse: public sqrt((1 + 1 + 9) / 3); private errors all 0.5
    ("rmse", AMOUNTS, {"fraction": 0.25}, lambda c: shifted(c, [1, -1, 3], [0.5, -0.5]), math.sqrt(11 / 3), 0.5),
    # log_loss: the true class gets 0.8 on public rows; 0.5 everywhere on private rows
    ("log_loss", BINARY, {}, lambda c: csv_of([(r.id, (0.8 if r.value else 0.2) if r.public else 0.5)
                                               for r in c.rows]), -math.log(0.8), math.log(2)),
    # roc_auc: public scores are the labels (every pair in order); private scores constant (every pair tied)
    ("roc_auc", ALTERNATING, {"fraction": 0.25}, lambda c: csv_of([(r.id, r.value if r.public else 0.5)
                                                                   for r in c.rows]), 1.0, 0.5),
])
def test_participant_uploads_predictions_scored_on_both_parts_of_key(
        client, world, metric, values, settings, predictions, public, private):
    challenge = scored(client, world, values, metric, **settings)
    private = private(challenge) if callable(private) else private
    submission_id = submitted(client, challenge.id, world.alice, predictions(challenge))
    evaluation = read(client, submission_id, world.alice)["evaluation"]
    assert (evaluation["status"], evaluation["public_score"], evaluation["private_score"]) == (
        "scored", six(public), None)
    world.clock.now = challenge.closes_at
    assert read(client, submission_id, world.manager)["evaluation"]["private_score"] == six(private)


def test_participant_uploads_rows_in_another_order_gets_same_score(client, world):
    challenge = scored(client, world, AMOUNTS, "mae", fraction=0.25)
    data = mae_file(challenge, 0.75, 0.25)
    header, *lines = data.decode().splitlines(keepends=True)
    shuffled = (header + "".join(reversed(lines)) + "\n\n").encode()  # blank lines are skipped
    first = submitted(client, challenge.id, world.alice, data)
    second = submitted(client, challenge.id, world.alice, shuffled)
    scores = [read(client, i, world.alice)["evaluation"]["public_score"] for i in (first, second)]
    assert scores == [pytest.approx(0.75), pytest.approx(0.75)]


def test_participant_uploads_bom_crlf_and_quoted_header_gets_scored(client, world):
    challenge = scored(client, world)
    text = labels(challenge, 0, 1).decode().replace("\n", "\r\n").replace("id,label", '"id","label"')
    submission_id = submitted(client, challenge.id, world.alice, b"\xef\xbb\xbf" + text.encode())
    assert read(client, submission_id, world.alice)["evaluation"]["public_score"] == 1.0


CLASS_ROWS = [(f"r{i:02d}", v) for i, v in enumerate(CLASSES, start=1)]


@pytest.mark.parametrize("data, message", [
    (csv_of(CLASS_ROWS, "prediction"), "Line 1: the header must be id,label."),
    (b"id\n" + csv_of(CLASS_ROWS)[9:], "Line 1: the header must be id,label."),
    (csv_of(CLASS_ROWS[:-1]), "1 id of the answer key is missing: 'r10'."),
    (csv_of(CLASS_ROWS[:7]), "3 ids of the answer key are missing, for example 'r08'."),
    (csv_of(CLASS_ROWS[:3] + [("r02", 1)] + CLASS_ROWS[3:]), "Line 5: id 'r02' appears again (first on line 3)."),
    (csv_of(CLASS_ROWS[:1] + [("r99", 1)] + CLASS_ROWS[1:]), "Line 3: id 'r99' is not in the answer key."),
    (csv_of(CLASS_ROWS[:2] + [("r03", "two")] + CLASS_ROWS[3:]), "Line 4: 'two' is not a number."),
    (csv_of(CLASS_ROWS[:2] + [("r03", "")] + CLASS_ROWS[3:]), "Line 4: the value is empty."),
    (csv_of(CLASS_ROWS[:2] + [("r03", "1.5")] + CLASS_ROWS[3:]), "Line 4: a class label must be an integer."),
    (csv_of(CLASS_ROWS[:2] + [("r03", "nan")] + CLASS_ROWS[3:]), "Line 4: 'nan' is not a finite number."),
    (csv_of(CLASS_ROWS[:5] + [("r06", "2,1")] + CLASS_ROWS[6:]), "Line 7: expected 2 columns, found 3."),
    (csv_of(CLASS_ROWS).replace(b"r06,2\n", b"r06,2,\n"), "Line 7: expected 2 columns, found 3."),
    (b"", "The file is empty."),
    (b"\n\n", "The file is empty."),
    (b"id,label\n", "The file has no rows."),
    (csv_of(CLASS_ROWS).replace(b"r04,1", b"r04,\xff"), "The file is not UTF-8 text."),
    (csv_of(CLASS_ROWS).decode().encode("utf-16"), "The file is not UTF-8 text."),
], ids=["wrong-header", "one-column-header", "missing-id", "missing-ids", "duplicate-id", "unknown-id",
        "non-numeric", "empty-value", "non-integer-label", "nan", "extra-column", "trailing-comma", "empty-file",
        "blank-file", "header-only", "not-utf8", "utf16"])
def test_participant_uploads_malformed_predictions_gets_422_and_it_does_not_count(client, world, data, message):
    challenge = scored(client, world, daily=1, limit=1)
    response = upload(client, challenge.id, world.alice, data)
    assert response.status_code == 422
    assert response.json["errors"] == {"file": [message]}
    assert (count(Submission), count(Prediction), count(Participation)) == (0, 0, 0)
    assert quota(client, challenge.id, world.alice).json == {"remaining_today": 1, "remaining_total": 1,
                                                             "next_slot_at": "2030-01-01T12:00:00+00:00"}
    assert client.get(f"{API}/challenges/{challenge.id}").json["submission_count"] == 0
    assert upload(client, challenge.id, world.alice, labels(challenge)).status_code == 201


@pytest.mark.parametrize("value, message", [("1.2", "a probability must be between 0 and 1."),
                                            ("-0.1", "a probability must be between 0 and 1."),
                                            ("inf", "'inf' is not a finite number.")])
def test_participant_uploads_probability_out_of_range_gets_422(client, world, value, message):
    challenge = scored(client, world, BINARY, "log_loss")
    rows = [(r.id, 0.5) for r in challenge.rows]
    rows[3] = (rows[3][0], value)
    response = upload(client, challenge.id, world.alice, csv_of(rows))
    assert response.status_code == 422 and response.json["errors"] == {"file": [f"Line 5: {message}"]}
    assert count(Submission) == 0


@pytest.mark.parametrize("value, message", [
    ("1e300", "a prediction must lie between -20 and 40 for this challenge."),  # its square would overflow
    (str(2 ** 40), "a prediction must lie between -20 and 40 for this challenge."),  # a crafted power of two
    ("-1e15", "a prediction must lie between -20 and 40 for this challenge."),
    ("40.5", "a prediction must lie between -20 and 40 for this challenge."),
    ("nan", "'nan' is not a finite number."),
    ("-inf", "'-inf' is not a finite number."),
])
def test_participant_uploads_absurd_regression_prediction_gets_422_naming_the_row_and_it_does_not_count(
        client, world, value, message):
    challenge = scored(client, world, AMOUNTS, "rmse", fraction=0.25, daily=1, limit=1)
    rows = [(r.id, r.value) for r in challenge.rows]
    rows[4] = (rows[4][0], value)
    response = upload(client, challenge.id, world.alice, csv_of(rows))
    assert (response.status_code, response.content_type) == (422, "application/problem+json")
    assert response.json["errors"] == {"file": [f"Line 6: {message}"]}
    assert (count(Submission), count(Prediction)) == (0, 0)
    assert quota(client, challenge.id, world.alice).json["remaining_today"] == 1


def test_participant_uploads_regression_predictions_at_the_bounds_gets_scored(client, world):
    challenge = scored(client, world, AMOUNTS, "rmse", fraction=0.25)
    rows = [(r.id, -20 if i % 2 else 40) for i, r in enumerate(challenge.rows)]
    submission_id = submitted(client, challenge.id, world.alice, csv_of(rows))
    assert read(client, submission_id, world.alice)["evaluation"]["status"] == "scored"


def test_participant_uploads_roc_auc_score_of_absurd_size_gets_422(client, world):
    challenge = scored(client, world, ALTERNATING, "roc_auc", fraction=0.25)
    rows = [(r.id, r.value) for r in challenge.rows]
    rows[2] = (rows[2][0], 1e16)
    response = upload(client, challenge.id, world.alice, csv_of(rows))
    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["Line 4: a score must lie between -1e15 and 1e15."]}
    assert count(Submission) == 0


def test_manager_uploads_regression_key_of_absurd_magnitude_gets_422(client, world):
    challenge = draft(world, "rmse")
    response = put_key(client, challenge.id, world.owner, key_file([1.0, 2.0, 3e20, 4.0]))
    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["Line 4: a target must lie between -1e15 and 1e15."]}
    assert count(AnswerKey) == 0


@pytest.mark.parametrize("form, field", [
    ({"accept_terms": None}, "accept_terms"), ({"accept_terms": "false"}, "accept_terms"),
    ({"accept_terms": "True"}, "accept_terms"), ({"title": None}, "title"), ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"), ({"summary": "not a field of a predictions upload"}, "summary"),
])
def test_participant_uploads_predictions_without_terms_or_title_gets_422(client, world, form, field):
    challenge = scored(client, world)
    response = upload(client, challenge.id, world.alice, labels(challenge), **form)
    assert response.status_code == 422 and field in response.json["errors"]["form"]
    assert count(Submission) == 0


def test_participant_uploads_without_a_file_part_gets_422(client, world):
    challenge = scored(client, world)
    response = client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(world.alice),
                           data={"title": "No file", "accept_terms": "true"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.json["errors"]
    assert count(Submission) == 0


def test_participant_uploads_two_files_gets_422(client, world):
    challenge = scored(client, world)
    good = labels(challenge)
    response = client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(world.alice),
                           content_type="multipart/form-data", data={
                               "title": "Two", "accept_terms": "true",
                               "file": [(io.BytesIO(good), "a.csv"), (io.BytesIO(labels(challenge, 3, 7)), "b.csv")]})
    assert response.status_code == 422 and "exactly one file" in response.json["errors"]["file"][0]
    assert count(Submission) == 0


def test_manager_uploads_two_answer_keys_at_once_gets_422(client, world):
    challenge = draft(world)
    response = client.put(f"{API}/challenges/{challenge.id}/answer-key", headers=auth_headers(world.owner),
                          content_type="multipart/form-data", data={"file": [
                              (io.BytesIO(key_file(CLASSES)), "a.csv"), (io.BytesIO(key_file(BINARY)), "b.csv")]})
    assert response.status_code == 422 and "exactly one file" in response.json["errors"]["file"][0]
    assert count(AnswerKey) == 0


@pytest.mark.parametrize("body", [{"title": "Words", "summary": "s", "body": "b", "accept_terms": True},
                                  {"title": "Words"}, {}], ids=["complete", "no-terms", "empty"])
def test_participant_sends_json_to_scored_challenge_gets_415(client, world, body):
    challenge = scored(client, world)
    response = client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(world.alice),
                           json=body)
    assert response.status_code == 415 and "multipart" in response.json["detail"]
    assert count(Submission) == 0


def test_participant_uploads_file_to_judged_challenge_gets_415(client, world):
    challenge = make_challenge(world.organisation, phase="open")
    response = upload(client, challenge.id, world.alice, csv_of(CLASS_ROWS))
    assert response.status_code == 415 and "judged" in response.json["detail"]
    assert count(Submission) == 0


@pytest.mark.parametrize("role", ["owner", "manager", "judge"])
def test_member_uploads_predictions_gets_403(client, world, role):
    challenge = scored(client, world)
    response = upload(client, challenge.id, getattr(world, role), labels(challenge))
    assert response.status_code == 403
    assert count(Submission) == 0


def test_anonymous_uploads_predictions_gets_401(client, world):
    challenge = scored(client, world)
    response = client.post(f"{API}/challenges/{challenge.id}/submissions", content_type="multipart/form-data",
                           data={"title": "x", "accept_terms": "true", "file": (io.BytesIO(b"id,label\n"), "p.csv")})
    assert response.status_code == 401


@pytest.mark.parametrize("moment", ["upcoming", "at-deadline", "finalised", "cancelled"])
def test_participant_uploads_predictions_outside_open_phase_gets_409(client, world, moment):
    challenge = scored(client, world, opens_at=NOON + timedelta(days=1) if moment == "upcoming" else None)
    _move_past_open(client, world, challenge, moment)
    response = upload(client, challenge.id, world.alice, labels(challenge))
    assert response.status_code == 409 and response.content_type == "application/problem+json"
    assert (count(Submission), count(Prediction), count(Participation)) == (0, 0, 0)


def test_participant_uploads_just_before_deadline_is_accepted(client, world):
    challenge = scored(client, world)
    world.clock.now = challenge.closes_at - timedelta(microseconds=1)
    response = upload(client, challenge.id, world.alice, labels(challenge))
    assert response.status_code == 201
    assert read(client, response.json["id"], world.alice)["evaluation"]["status"] == "scored"


def test_participant_edits_scored_submission_gets_409(client, world):
    challenge = scored(client, world)
    submission_id = submitted(client, challenge.id, world.alice, labels(challenge), title="Before")
    response = client.patch(f"{API}/submissions/{submission_id}", headers=auth_headers(world.alice),
                            json={"title": "After"})
    assert response.status_code == 409 and "submit a new file" in response.json["detail"]
    assert read(client, submission_id, world.alice)["title"] == "Before"


def test_participant_retries_upload_with_same_idempotency_key_gets_first_answer(client, world):
    challenge = scored(client, world)
    boundary = "fixed-boundary-for-a-retry"  # a retry sends the very same bytes
    _, body = encode_multipart({"title": "Once", "accept_terms": "true", "file": FileStorage(
        io.BytesIO(labels(challenge, 1)), filename="p.csv", content_type="text/csv")}, boundary=boundary)
    headers = auth_headers(world.alice) | {"Idempotency-Key": "upload-1"}
    responses = []
    for _ in range(2):
        with client.post(f"{API}/challenges/{challenge.id}/submissions", headers=headers, data=body,
                         content_type=f"multipart/form-data; boundary={boundary}") as response:
            response.get_data()
        responses.append(response)
    first, retry = responses
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert (count(Submission), count(Prediction)) == (1, 1)
    assert read(client, first.json["id"], world.alice)["evaluation"]["public_score"] == pytest.approx(2 / 3)
    assert quota(client, challenge.id, world.alice).json["remaining_today"] == 4


def test_participant_retries_upload_encoded_afresh_with_same_idempotency_key_gets_first_answer(client, world):
    """A retry by curl -F, requests or a browser encodes the same fields and file with a new random boundary."""
    challenge = scored(client, world)
    headers = {"Idempotency-Key": "upload-1"}
    first = upload(client, challenge.id, world.alice, labels(challenge, 1), title="Once", headers=headers)
    retry = upload(client, challenge.id, world.alice, labels(challenge, 1), title="Once", headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201), retry.json
    assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
    assert count(Submission) == 1


def test_participant_reuses_idempotency_key_with_another_file_gets_422(client, world):
    challenge = scored(client, world)
    headers = {"Idempotency-Key": "upload-1"}
    assert upload(client, challenge.id, world.alice, labels(challenge), headers=headers).status_code == 201
    response = upload(client, challenge.id, world.alice, labels(challenge, 1), headers=headers)
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]
    assert count(Submission) == 1


def test_participant_hit_by_scoring_fault_of_ours_gets_failed_evaluation_and_slot_back(client, world):
    challenge = scored(client, world, daily=1, limit=1)
    response = upload_unclosed(client, challenge.id, world.alice, labels(challenge), title="Doomed")
    assert response.status_code == 201  # not closed yet: the scoring has not run
    submission_id = response.json["id"]
    assert read(client, submission_id, world.alice)["evaluation"]["status"] == "pending"
    assert quota(client, challenge.id, world.alice).json["remaining_today"] == 0
    corrupt_prediction(client, submission_id)
    response.close()  # now the scoring runs, and fails
    evaluation = read(client, submission_id, world.alice)["evaluation"]
    assert (evaluation["status"], evaluation["public_score"], evaluation["private_score"]) == ("failed", None, None)
    assert "our side" in evaluation["error"] and "does not count" in evaluation["error"]
    assert evaluation["fault"] == "ours"
    assert quota(client, challenge.id, world.alice).json == {"remaining_today": 1, "remaining_total": 1,
                                                             "next_slot_at": "2030-01-01T12:00:00+00:00"}
    assert ranking(board(client, challenge.id)) == []
    assert select(client, challenge.id, world.alice, [submission_id]).status_code == 422
    replacement = submitted(client, challenge.id, world.alice, labels(challenge))
    assert read(client, replacement, world.alice)["evaluation"]["status"] == "scored"
    assert ranking(board(client, challenge.id)) == [(1, "Alice", replacement, 1.0)]


@pytest.mark.parametrize("outcome", [float("inf"), float("nan"), OverflowError("(34, 'Numerical result')"),
                                     ValueError("Input contains infinity")],
                         ids=["infinite", "nan", "overflow", "refused"])
def test_participant_whose_predictions_defeat_the_metric_gets_failed_evaluation_that_counts(
        client, world, monkeypatch, outcome):
    challenge = scored(client, world, daily=1, limit=1)

    def defeated(y_true, y_pred):  # as a metric overflowing on crafted values would end
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(scoring, "metric_of", lambda _: replace(METRICS["accuracy"], function=defeated))
    submission_id = submitted(client, challenge.id, world.alice, labels(challenge))
    evaluation = read(client, submission_id, world.alice)["evaluation"]
    assert evaluation == {"status": "failed", "public_score": None, "private_score": None, "fault": "participant",
                          "error": "Your predictions could not be scored: accuracy "
                                   f"{'failed on them' if isinstance(outcome, Exception) else 'gave no finite score'}"
                                   "; this submission counts toward your limits."}
    assert quota(client, challenge.id, world.alice).json == {"remaining_today": 0, "remaining_total": 0,
                                                             "next_slot_at": None}
    refused = upload(client, challenge.id, world.alice, labels(challenge))
    assert refused.status_code == 409 and count(Submission) == 1
    assert select(client, challenge.id, world.alice, [submission_id]).status_code == 422
    assert ranking(board(client, challenge.id)) == []


def test_participant_with_failure_of_their_own_and_of_ours_has_only_theirs_counted(client, world, monkeypatch):
    challenge = scored(client, world, daily=3, limit=10)
    ours = upload_unclosed(client, challenge.id, world.alice, labels(challenge), title="Ours")
    corrupt_prediction(client, ours.json["id"])
    ours.close()
    monkeypatch.setattr(scoring, "metric_of", lambda _: replace(METRICS["accuracy"], function=lambda *_: math.nan))
    theirs = submitted(client, challenge.id, world.alice, labels(challenge), title="Theirs")
    faults = [read(client, i, world.alice)["evaluation"]["fault"] for i in (ours.json["id"], theirs)]
    assert faults == ["ours", "participant"]
    assert quota(client, challenge.id, world.alice).json == {"remaining_today": 2, "remaining_total": 9,
                                                             "next_slot_at": "2030-01-01T12:00:00+00:00"}


def test_worker_evaluates_predictions_no_longer_aligned_to_the_key_fails_as_ours(client, world):
    challenge = scored(client, world, daily=1, limit=1)
    response = upload_unclosed(client, challenge.id, world.alice, labels(challenge), title="Cut short")
    with client.application.app_context():  # as a storage fault of ours would leave them
        db.session.get(Prediction, response.json["id"]).data = to_blob(values=np.zeros(3))
        db.session.commit()
    response.close()
    evaluation = read(client, response.json["id"], world.alice)["evaluation"]
    assert (evaluation["status"], evaluation["fault"]) == ("failed", "ours")
    assert quota(client, challenge.id, world.alice).json["remaining_today"] == 1


def test_worker_evaluates_corrupted_submission_fails_it_once(client, world):
    challenge = scored(client, world)
    response = upload_unclosed(client, challenge.id, world.alice, labels(challenge), title="Doomed")
    submission_id = response.json["id"]
    corrupt_prediction(client, submission_id)
    with client.application.app_context():
        scoring.evaluate(submission_id)
    world.clock.travel(minutes=5)
    response.close()  # the background job finds nothing pending and leaves the failure as it was
    with client.application.app_context():
        stored = db.session.get(Submission, submission_id)
        assert (stored.evaluation_status, stored.scored_at) == ("failed", NOON)
    assert read(client, submission_id, world.alice)["evaluation"]["status"] == "failed"


def test_operator_runs_score_pending_scores_lost_job(app, client, world):
    challenge = scored(client, world)
    lost = upload_unclosed(client, challenge.id, world.alice, labels(challenge, 2), title="Lost")
    assert lost.status_code == 201  # never closed: its job is lost
    runner = app.test_cli_runner()
    world.clock.travel(minutes=9)
    assert runner.invoke(args=["score-pending"]).output == "0 submission(s) queued for scoring.\n"
    world.clock.travel(minutes=1)
    assert runner.invoke(args=["score-pending"]).output == "1 submission(s) queued for scoring.\n"
    assert read(client, lost.json["id"], world.alice)["evaluation"]["public_score"] == pytest.approx(1 / 3)
    world.clock.travel(minutes=1)
    lost.close()  # a late second run changes nothing
    with client.application.app_context():
        assert db.session.get(Submission, lost.json["id"]).scored_at == NOON + timedelta(minutes=10)


def test_participant_reads_fresh_quota(client, world):
    challenge = scored(client, world, daily=3, limit=5)
    response = quota(client, challenge.id, world.alice)
    assert response.status_code == 200
    assert response.json == {"remaining_today": 3, "remaining_total": 5, "next_slot_at": "2030-01-01T12:00:00+00:00"}


def test_participant_reads_quota_without_total_limit(client, world):
    challenge = scored(client, world, daily=2, limit=None)
    submitted(client, challenge.id, world.alice, labels(challenge))
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 1, "remaining_total": None, "next_slot_at": "2030-01-01T12:00:00+00:00"}


def test_participant_uses_daily_quota_and_gets_slots_back_at_utc_midnight(client, world):
    challenge = scored(client, world, daily=2, limit=10)
    submitted(client, challenge.id, world.alice, labels(challenge))
    world.clock.now = MIDNIGHT - timedelta(microseconds=1)
    submitted(client, challenge.id, world.alice, labels(challenge))  # still the first UTC day
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 0, "remaining_total": 8, "next_slot_at": "2030-01-02T00:00:00+00:00"}
    refused = upload(client, challenge.id, world.alice, labels(challenge))
    assert refused.status_code == 409 and "2030-01-02T00:00:00+00:00" in refused.json["detail"]
    assert count(Submission) == 2
    world.clock.now = MIDNIGHT
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 2, "remaining_total": 8, "next_slot_at": "2030-01-02T00:00:00+00:00"}
    submitted(client, challenge.id, world.alice, labels(challenge))
    submitted(client, challenge.id, world.alice, labels(challenge))
    assert upload(client, challenge.id, world.alice, labels(challenge)).status_code == 409
    assert quota(client, challenge.id, world.alice).json["next_slot_at"] == "2030-01-03T00:00:00+00:00"


def test_participants_use_separate_daily_quotas(client, world):
    challenge = scored(client, world, daily=1)
    submitted(client, challenge.id, world.alice, labels(challenge))
    assert upload(client, challenge.id, world.alice, labels(challenge)).status_code == 409
    assert upload(client, challenge.id, world.bob, labels(challenge)).status_code == 201
    assert quota(client, challenge.id, world.carol).json["remaining_today"] == 1


def test_participant_withdrawal_frees_total_but_not_daily_quota(client, world):
    challenge = scored(client, world, daily=3, limit=2)
    first = submitted(client, challenge.id, world.alice, labels(challenge))
    submitted(client, challenge.id, world.alice, labels(challenge))
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 1, "remaining_total": 0, "next_slot_at": None}
    refused = upload(client, challenge.id, world.alice, labels(challenge))
    assert refused.status_code == 409 and "limit" in refused.json["detail"]
    withdrawn = client.post(f"{API}/submissions/{first}/withdraw", headers=auth_headers(world.alice))
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 1, "remaining_total": 1, "next_slot_at": "2030-01-01T12:00:00+00:00"}
    submitted(client, challenge.id, world.alice, labels(challenge))
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 0, "remaining_total": 0, "next_slot_at": None}


def test_participant_withdrawal_does_not_give_back_a_daily_slot(client, world):
    challenge = scored(client, world, daily=1, limit=5)
    first = submitted(client, challenge.id, world.alice, labels(challenge))
    client.post(f"{API}/submissions/{first}/withdraw", headers=auth_headers(world.alice))
    response = upload(client, challenge.id, world.alice, labels(challenge))
    assert response.status_code == 409 and "today" in response.json["detail"]
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 0, "remaining_total": 5, "next_slot_at": "2030-01-02T00:00:00+00:00"}


@pytest.mark.parametrize("closes_at, next_slot", [
    (MIDNIGHT, None),  # the deadline comes with the midnight: no slot will come
    (MIDNIGHT + timedelta(microseconds=1), "2030-01-02T00:00:00+00:00"),
])
def test_participant_out_of_daily_slots_near_deadline_reads_next_slot(client, world, closes_at, next_slot):
    challenge = scored(client, world, daily=1, closes_at=closes_at)
    submitted(client, challenge.id, world.alice, labels(challenge))
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 0, "remaining_total": 9, "next_slot_at": next_slot}


def test_participant_reads_quota_of_upcoming_challenge_gets_opening_time(client, world):
    opens_at = NOON + timedelta(days=1, hours=3)
    challenge = scored(client, world, daily=2, limit=4, opens_at=opens_at)
    assert quota(client, challenge.id, world.alice).json == {
        "remaining_today": 2, "remaining_total": 4, "next_slot_at": "2030-01-02T15:00:00+00:00"}


@pytest.mark.parametrize("moment", ["closed", "finalised"])
def test_participant_reads_quota_after_deadline_gets_no_next_slot(client, world, moment):
    challenge = scored(client, world, daily=2, limit=4)
    submitted(client, challenge.id, world.alice, labels(challenge))
    world.clock.now = challenge.closes_at
    if moment == "finalised":
        client.post(f"{API}/challenges/{challenge.id}/finalise", headers=auth_headers(world.owner))
    response = quota(client, challenge.id, world.alice)
    assert response.status_code == 200
    assert (response.json["remaining_total"], response.json["next_slot_at"]) == (3, None)


@pytest.mark.parametrize("who, status", [("owner", 403), ("manager", 403), ("judge", 403), (None, 401)])
def test_non_participant_reads_quota_is_refused(client, world, who, status):
    challenge = scored(client, world)
    response = client.get(f"{API}/challenges/{challenge.id}/quota",
                          headers=auth_headers(getattr(world, who)) if who else {})
    assert response.status_code == status


def test_participant_reads_quota_of_judged_challenge_gets_409(client, world):
    challenge = make_challenge(world.organisation, phase="open")
    assert quota(client, challenge.id, world.alice).status_code == 409


def test_participant_reads_quota_of_hidden_draft_gets_404(client, world):
    challenge = draft(world)
    assert quota(client, challenge.id, world.alice).status_code == 404


def test_participant_selects_submissions_and_can_change_the_selection(client, world):
    challenge = scored(client, world, selection=2)
    one, two, three = (submitted(client, challenge.id, world.alice, labels(challenge)) for _ in range(3))
    response = select(client, challenge.id, world.alice, [two, one, two])
    assert response.status_code == 200 and response.json == {"submission_ids": [two, one]}
    response = select(client, challenge.id, world.alice, [three])
    assert response.status_code == 200 and response.json == {"submission_ids": [three]}
    with client.application.app_context():
        assert {s.id: s.selected for s in db.session.query(Submission)} == {one: False, two: False, three: True}
    assert select(client, challenge.id, world.alice, []).json == {"submission_ids": []}


def test_participant_selects_without_accepting_terms_on_their_behalf(client, world):
    """Only an upload with accept_terms=true records the acceptance of the terms; choosing a selection does not."""
    challenge = scored(client, world)
    own = submitted(client, challenge.id, world.alice, labels(challenge))
    world.clock.travel(hours=1)
    amended = client.patch(f"{API}/challenges/{challenge.id}", headers=auth_headers(world.owner),
                           json={"rules": "Stricter rules"})
    assert amended.status_code == 200 and amended.json["terms_version"] == 2
    assert select(client, challenge.id, world.alice, [own]).status_code == 200
    assert select(client, challenge.id, world.bob, []).status_code == 200  # Bob never submitted anything
    with client.application.app_context():
        assert [(p.user_id, p.terms_version, p.accepted_at) for p in db.session.query(Participation)] == [
            (world.alice.id, 1, NOON)]


def test_participant_selects_more_than_the_limit_gets_422(client, world):
    challenge = scored(client, world, selection=2)
    ids = [submitted(client, challenge.id, world.alice, labels(challenge)) for _ in range(3)]
    response = select(client, challenge.id, world.alice, ids)
    assert response.status_code == 422 and "at most 2" in response.json["errors"]["submission_ids"][0]


@pytest.mark.parametrize("whose", ["other", "withdrawn", "missing", "other-challenge"])
def test_participant_selects_what_is_not_their_active_submission_gets_422(client, world, whose):
    challenge = scored(client, world)
    own = submitted(client, challenge.id, world.alice, labels(challenge))
    if whose == "other":
        target = submitted(client, challenge.id, world.bob, labels(challenge))
    elif whose == "withdrawn":
        target = submitted(client, challenge.id, world.alice, labels(challenge))
        client.post(f"{API}/submissions/{target}/withdraw", headers=auth_headers(world.alice))
    elif whose == "other-challenge":
        elsewhere = scored(client, world)
        target = submitted(client, elsewhere.id, world.alice, labels(elsewhere))
    else:
        target = own + 1000
    response = select(client, challenge.id, world.alice, [own, target])
    assert response.status_code == 422 and str(target) in response.json["errors"]["submission_ids"][0]
    with client.application.app_context():
        assert not any(s.selected for s in db.session.query(Submission))


def test_participant_selects_after_deadline_gets_409(client, world):
    challenge = scored(client, world)
    own = submitted(client, challenge.id, world.alice, labels(challenge))
    world.clock.now = challenge.closes_at
    assert select(client, challenge.id, world.alice, [own]).status_code == 409


@pytest.mark.parametrize("who, status", [("manager", 403), ("judge", 403), (None, 401)])
def test_non_participant_selects_is_refused(client, world, who, status):
    challenge = scored(client, world)
    own = submitted(client, challenge.id, world.alice, labels(challenge))
    response = client.put(f"{API}/challenges/{challenge.id}/selection", json={"submission_ids": [own]},
                          headers=auth_headers(getattr(world, who)) if who else {})
    assert response.status_code == status


def test_participant_selects_on_judged_challenge_gets_409(client, world):
    challenge = make_challenge(world.organisation, phase="open")
    assert select(client, challenge.id, world.alice, []).status_code == 409


def test_anonymous_reads_public_leaderboard_best_score_per_participant_higher_is_better(client, world):
    challenge = scored(client, world)  # accuracy over 3 public rows
    alice_weak = submitted(client, challenge.id, world.alice, labels(challenge, public_wrong=2))
    world.clock.travel(minutes=1)
    bob = submitted(client, challenge.id, world.bob, labels(challenge, public_wrong=1))
    world.clock.travel(minutes=1)
    alice_best = submitted(client, challenge.id, world.alice, labels(challenge, public_wrong=0, private_wrong=7))
    world.clock.travel(minutes=1)
    carol = submitted(client, challenge.id, world.carol, labels(challenge, public_wrong=3))
    response = board(client, challenge.id)
    assert ranking(response) == [(1, "Alice", alice_best, 1.0), (2, "Bob", bob, pytest.approx(2 / 3)),
                                 (3, "Carol", carol, 0.0)]
    assert response.json["items"][0]["participant"] == {"id": world.alice.id, "display_name": "Alice"}
    assert [e["submitted_at"] for e in response.json["items"]] == [
        "2030-01-01T12:02:00+00:00", "2030-01-01T12:01:00+00:00", "2030-01-01T12:03:00+00:00"]
    assert alice_weak not in [e["submission_id"] for e in response.json["items"]]
    assert response.json["next_cursor"] is None


def test_anonymous_reads_public_leaderboard_lower_is_better_for_mae(client, world):
    challenge = scored(client, world, AMOUNTS, "mae", fraction=0.25)
    alice = submitted(client, challenge.id, world.alice, mae_file(challenge, 2.0, 0.1))
    bob = submitted(client, challenge.id, world.bob, mae_file(challenge, 0.5, 4.0))
    carol = submitted(client, challenge.id, world.carol, mae_file(challenge, 1.25, 0.2))
    assert ranking(board(client, challenge.id)) == [
        (1, "Bob", bob, pytest.approx(0.5)), (2, "Carol", carol, pytest.approx(1.25)),
        (3, "Alice", alice, pytest.approx(2.0))]


def test_anonymous_reads_public_leaderboard_lower_is_better_for_log_loss(client, world):
    challenge = scored(client, world, BINARY, "log_loss")

    def confident(p):  # the true class gets probability p everywhere
        return csv_of([(r.id, p if r.value else 1 - p) for r in challenge.rows])

    alice = submitted(client, challenge.id, world.alice, confident(0.6))
    bob = submitted(client, challenge.id, world.bob, confident(0.9))
    assert ranking(board(client, challenge.id)) == [
        (1, "Bob", bob, six(-math.log(0.9))), (2, "Alice", alice, six(-math.log(0.6)))]


def test_anonymous_reads_public_leaderboard_ties_go_to_earliest_submission(client, world):
    challenge = scored(client, world)
    bob = submitted(client, challenge.id, world.bob, labels(challenge, 1))
    world.clock.travel(minutes=1)
    alice_first = submitted(client, challenge.id, world.alice, labels(challenge, 1, 3))
    world.clock.travel(minutes=1)
    submitted(client, challenge.id, world.alice, labels(challenge, 1))  # the same public score, later
    assert ranking(board(client, challenge.id)) == [
        (1, "Bob", bob, pytest.approx(2 / 3)), (2, "Alice", alice_first, pytest.approx(2 / 3))]


def test_anonymous_reads_public_leaderboard_scores_equal_to_six_digits_tie_and_go_to_earliest(client, world):
    challenge = scored(client, world, AMOUNTS, "mae", fraction=0.25)
    alice = submitted(client, challenge.id, world.alice, mae_file(challenge, 0.5000004, 1.0))  # worse in digit 7
    world.clock.travel(minutes=1)
    bob = submitted(client, challenge.id, world.bob, mae_file(challenge, 0.5, 1.0))
    assert ranking(board(client, challenge.id)) == [(1, "Alice", alice, 0.5), (2, "Bob", bob, 0.5)]


def test_everyone_sees_scores_to_six_significant_digits_on_submissions_boards_and_awards(client, world):
    challenge = scored(client, world)  # 3 public rows, 7 private
    submission_id = submitted(client, challenge.id, world.alice, labels(challenge, 1, 1))
    assert read(client, submission_id, world.alice)["evaluation"]["public_score"] == 0.666667  # 2/3
    assert ranking(board(client, challenge.id)) == [(1, "Alice", submission_id, 0.666667)]
    world.clock.now = challenge.closes_at
    assert read(client, submission_id, world.owner)["evaluation"]["private_score"] == 0.857143  # 6/7
    assert ranking(board(client, challenge.id, "private", world.owner)) == [(1, "Alice", submission_id, 0.857143)]
    award = client.post(f"{API}/challenges/{challenge.id}/awards", headers=auth_headers(world.owner),
                        json={"prize_id": challenge.prize_ids[0], "submission_id": submission_id})
    assert (award.status_code, award.json["rank"], award.json["score"]) == (201, 1, 0.857143)


def test_anonymous_reads_public_leaderboard_without_withdrawn_disqualified_or_pending(client, world):
    challenge = scored(client, world)
    withdrawn = submitted(client, challenge.id, world.alice, labels(challenge))
    client.post(f"{API}/submissions/{withdrawn}/withdraw", headers=auth_headers(world.alice))
    alice = submitted(client, challenge.id, world.alice, labels(challenge, 2))
    disqualified = submitted(client, challenge.id, world.bob, labels(challenge))
    assert client.post(f"{API}/submissions/{disqualified}/disqualify", headers=auth_headers(world.manager),
                       json={"reason": "Leaked labels"}).status_code == 200
    pending = upload_unclosed(client, challenge.id, world.carol, labels(challenge), title="Pending")
    assert pending.status_code == 201
    assert ranking(board(client, challenge.id)) == [(1, "Alice", alice, pytest.approx(1 / 3))]
    pending.close()
    assert ranking(board(client, challenge.id)) == [(1, "Carol", pending.json["id"], 1.0),
                                                    (2, "Alice", alice, pytest.approx(1 / 3))]


def test_anonymous_pages_public_leaderboard_with_cursor(client, world):
    challenge = scored(client, world)
    for user, wrong in ((world.alice, 0), (world.bob, 1), (world.carol, 2)):
        submitted(client, challenge.id, user, labels(challenge, wrong))
    first = client.get(f"{API}/challenges/{challenge.id}/leaderboard", query_string={"limit": 2})
    assert [e["rank"] for e in first.json["items"]] == [1, 2]
    second = client.get(f"{API}/challenges/{challenge.id}/leaderboard",
                        query_string={"limit": 2, "cursor": first.json["next_cursor"]})
    assert ([e["participant"]["display_name"] for e in second.json["items"]], second.json["next_cursor"]) == (
        ["Carol"], None)


def test_anonymous_reads_leaderboard_of_draft_gets_404(client, world):
    challenge = draft(world)
    put_key(client, challenge.id, world.owner, key_file(CLASSES))
    assert board(client, challenge.id).status_code == 404


def test_anonymous_reads_leaderboard_with_unknown_board_gets_422(client, world):
    challenge = scored(client, world)
    assert board(client, challenge.id, "secret").status_code == 422


def test_anonymous_reads_public_leaderboard_of_upcoming_challenge_gets_empty_list(client, world):
    challenge = scored(client, world, opens_at=NOON + timedelta(days=1))
    assert ranking(board(client, challenge.id)) == []


@pytest.fixture
def contest(client, world):
    """A mae challenge (lower is better; final_selection_limit 2) with Alice's three submissions and Bob's one.

    Alice: s1 public 0.25 / private 3.0, s2 public 0.5 / private 1.0, s3 public 2.0 / private 0.5.
    Bob:   b1 public 1.0 / private 0.75.
    """
    challenge = scored(client, world, AMOUNTS, "mae", fraction=0.25, selection=2)
    s1 = submitted(client, challenge.id, world.alice, mae_file(challenge, 0.25, 3.0))
    world.clock.travel(minutes=1)
    s2 = submitted(client, challenge.id, world.alice, mae_file(challenge, 0.5, 1.0))
    world.clock.travel(minutes=1)
    s3 = submitted(client, challenge.id, world.alice, mae_file(challenge, 2.0, 0.5))
    world.clock.travel(minutes=1)
    b1 = submitted(client, challenge.id, world.bob, mae_file(challenge, 1.0, 0.75))
    return SimpleNamespace(challenge=challenge, s1=s1, s2=s2, s3=s3, b1=b1)


def test_manager_reads_private_leaderboard_counting_best_public_up_to_limit_when_none_selected(
        client, world, contest):
    assert ranking(board(client, contest.challenge.id)) == [
        (1, "Alice", contest.s1, pytest.approx(0.25)), (2, "Bob", contest.b1, pytest.approx(1.0))]
    world.clock.now = contest.challenge.closes_at
    # Alice's two best public submissions are s1 and s2: the better private score of those is s2's 1.0 (not s3's 0.5)
    assert ranking(board(client, contest.challenge.id, "private", world.manager)) == [
        (1, "Bob", contest.b1, pytest.approx(0.75)), (2, "Alice", contest.s2, pytest.approx(1.0))]


def test_manager_reads_private_leaderboard_counting_only_selected(client, world, contest):
    assert select(client, contest.challenge.id, world.alice, [contest.s3]).status_code == 200
    world.clock.now = contest.challenge.closes_at
    assert ranking(board(client, contest.challenge.id, "private", world.owner)) == [
        (1, "Alice", contest.s3, pytest.approx(0.5)), (2, "Bob", contest.b1, pytest.approx(0.75))]
    assert ranking(board(client, contest.challenge.id)) == [
        (1, "Alice", contest.s1, pytest.approx(0.25)), (2, "Bob", contest.b1, pytest.approx(1.0))]


def test_manager_reads_private_leaderboard_taking_best_of_two_selected(client, world, contest):
    assert select(client, contest.challenge.id, world.alice, [contest.s1, contest.s2]).status_code == 200
    world.clock.now = contest.challenge.closes_at
    assert ranking(board(client, contest.challenge.id, "private", world.owner))[1] == (
        2, "Alice", contest.s2, pytest.approx(1.0))


@pytest.mark.parametrize("moment, who, status", [
    ("open", None, 404), ("open", "carol", 404), ("open", "alice", 404), ("open", "owner", 409),
    ("open", "judge", 409), ("closed", None, 404), ("closed", "alice", 404), ("closed", "judge", 200),
    ("closed", "manager", 200), ("finalised", None, 200), ("finalised", "carol", 200), ("finalised", "owner", 200),
])
def test_reader_reads_private_leaderboard_by_role_and_phase(client, world, contest, moment, who, status):
    if moment != "open":
        world.clock.now = contest.challenge.closes_at
    if moment == "finalised":
        assert client.post(f"{API}/challenges/{contest.challenge.id}/finalise", headers=auth_headers(world.owner)
                           ).status_code == 200
    response = board(client, contest.challenge.id, "private", getattr(world, who) if who else None)
    assert response.status_code == status
    if status == 200:
        assert [e["score"] for e in response.json["items"]] == [pytest.approx(0.75), pytest.approx(1.0)]
    else:
        assert response.content_type == "application/problem+json"


def test_author_sees_private_score_once_finalised_and_members_once_closed(client, world, contest):
    s2 = contest.s2
    assert read(client, s2, world.alice)["evaluation"]["private_score"] is None
    assert read(client, s2, world.manager)["evaluation"]["private_score"] is None
    world.clock.now = contest.challenge.closes_at
    assert read(client, s2, world.alice)["evaluation"] == {"status": "scored", "public_score": pytest.approx(0.5),
                                                           "private_score": None, "error": None, "fault": None}
    assert read(client, s2, world.manager)["evaluation"]["private_score"] == pytest.approx(1.0)
    assert read(client, s2, world.judge)["evaluation"]["private_score"] == pytest.approx(1.0)
    listed = client.get(f"{API}/challenges/{contest.challenge.id}/submissions", headers=auth_headers(world.alice))
    assert [item["evaluation"]["private_score"] for item in listed.json["items"]] == [None, None, None]
    listed = client.get(f"{API}/challenges/{contest.challenge.id}/submissions", headers=auth_headers(world.owner))
    assert [item["evaluation"]["private_score"] for item in listed.json["items"]] == [
        pytest.approx(3.0), pytest.approx(1.0), pytest.approx(0.5), pytest.approx(0.75)]
    assert client.post(f"{API}/challenges/{contest.challenge.id}/finalise", headers=auth_headers(world.owner)
                       ).status_code == 200
    assert read(client, s2, world.alice)["evaluation"]["private_score"] == pytest.approx(1.0)


def test_member_reads_submission_list_while_open_without_private_scores(client, world, contest):
    listed = client.get(f"{API}/challenges/{contest.challenge.id}/submissions", headers=auth_headers(world.manager))
    assert listed.status_code == 200
    assert [(i["evaluation"]["public_score"], i["evaluation"]["private_score"]) for i in listed.json["items"]] == [
        (pytest.approx(0.25), None), (pytest.approx(0.5), None), (pytest.approx(2.0), None),
        (pytest.approx(1.0), None)]


def test_manager_awards_scored_challenge_with_private_rank_and_score(client, world, contest):
    assert select(client, contest.challenge.id, world.alice, [contest.s3]).status_code == 200
    world.clock.now = contest.challenge.closes_at
    url, headers = f"{API}/challenges/{contest.challenge.id}/awards", auth_headers(world.owner)
    first, second, third = contest.challenge.prize_ids
    response = client.post(url, headers=headers, json={"prize_id": first, "submission_id": contest.s3})
    assert response.status_code == 201
    assert (response.json["rank"], response.json["score"]) == (1, pytest.approx(0.5))
    response = client.post(url, headers=headers, json={"prize_id": second, "submission_id": contest.b1})
    assert (response.status_code, response.json["rank"], response.json["score"]) == (201, 2, pytest.approx(0.75))
    # s1 is not selected, so it is not on the private leaderboard: no rank, no score
    response = client.post(url, headers=headers, json={"prize_id": third, "submission_id": contest.s1})
    assert (response.status_code, response.json["rank"], response.json["score"]) == (201, None, None)


def test_manager_awards_scored_challenge_before_deadline_gets_409(client, world, contest):
    response = client.post(f"{API}/challenges/{contest.challenge.id}/awards", headers=auth_headers(world.owner),
                           json={"prize_id": contest.challenge.prize_ids[0], "submission_id": contest.s1})
    assert response.status_code == 409


@pytest.mark.postgres
def test_participant_racing_uploads_past_daily_quota_gets_only_the_quota_accepted(client, world, api):
    challenge = scored(client, world, daily=2, limit=10)
    data = labels(challenge, 1)
    barrier = threading.Barrier(8)

    def send(_):
        barrier.wait(timeout=10)
        return requests.post(f"{api}/challenges/{challenge.id}/submissions", headers=auth_headers(world.alice),
                             data={"title": "Race", "accept_terms": "true"}, files={"file": ("p.csv", data)},
                             timeout=30)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(8)))
    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 6, [r.text for r in responses]
    assert count(Submission) == 2
    assert quota(client, challenge.id, world.alice).json["remaining_today"] == 0
    accepted = [r.json()["id"] for r in responses if r.status_code == 201]
    deadline = time.monotonic() + 10  # the server scores each file after sending its response
    while time.monotonic() < deadline and any(
            read(client, i, world.alice)["evaluation"]["status"] == "pending" for i in accepted):
        time.sleep(0.05)
    assert [read(client, i, world.alice)["evaluation"]["public_score"] for i in accepted] == [
        pytest.approx(2 / 3)] * 2
