"""Scoring in the background: the daily quota under concurrent uploads, RQ workers on Redis, and the in-process path."""
import hashlib
import io
import time
from functools import partial
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select

from challenges import jobs
from challenges.extensions import db
from challenges.models import Evaluation, EvaluationStatus, Submission
from tests.threads import race
from tests.workers import queued_app
from tests.factories import auth_headers, make_challenge, make_organisation, make_user

KEY = "id,y\nr1,10\nr2,20\nr3,30\nr4,40\n"
PREDICTIONS = "id,y\nr1,11\nr2,22\nr3,34\nr4,48\n"  # absolute errors 1, 2, 4, 8: every pair has its own mean
ERRORS = {"r1": 1, "r2": 2, "r3": 4, "r4": 8}
SCORING = {"metric": "mae", "public_fraction": 0.5, "max_daily_submissions": 3, "final_selection_limit": 2}
FORM = {"title": "My predictions", "accept_terms": "true"}
EVALUATE = "challenges.services.scoring.evaluate"


def public_ids(key: str, fraction: float) -> set[str]:
    """The key's public ids by the documented rule: round(fraction * rows) ids ranked by sha256(file sha256:id)."""
    file_sha256 = hashlib.sha256(key.encode()).hexdigest()
    ids = [line.split(",")[0] for line in key.splitlines()[1:]]
    ranked = sorted(ids, key=lambda id_: hashlib.sha256(f"{file_sha256}:{id_}".encode()).digest()[:8])
    return set(ranked[:round(fraction * len(ids))])


def expected_scores() -> tuple[float, float]:
    """(public, private) mean absolute error of PREDICTIONS against KEY, by hand."""
    public = public_ids(KEY, SCORING["public_fraction"])
    private = set(ERRORS) - public
    assert len(public) == len(private) == 2
    return (sum(ERRORS[i] for i in public) / len(public), sum(ERRORS[i] for i in private) / len(private))


def upload(content: str, **form) -> dict:
    """A multipart body for the test client: the form fields and the CSV as the part `file`."""
    return {"data": form | {"file": (io.BytesIO(content.encode()), "file.csv")},
            "content_type": "multipart/form-data"}


def scored_challenge(client, owner, **scoring) -> SimpleNamespace:
    """A scored (MAE) challenge with no overall limit, its answer key uploaded and published through the API."""
    challenge = make_challenge(make_organisation(owner), "draft", evaluation=Evaluation.SCORED, judging=None,
                               scoring=SCORING | scoring, max_submissions_per_participant=None)
    base = f"/api/v1/challenges/{challenge.id}"
    key = client.put(f"{base}/answer-key", headers=auth_headers(owner), **upload(KEY))
    assert key.status_code == 200, key.json
    assert (key.json["rows"], key.json["public_rows"], key.json["metric"]) == (4, 2, "mae")
    published = client.post(f"{base}/publish", headers=auth_headers(owner))
    assert published.status_code == 200, published.json
    challenge.submissions_url = f"{base}/submissions"
    return challenge


def stored(app, submission_id: int) -> SimpleNamespace:
    """A submission's evaluation as the database holds it now."""
    with app.app_context():
        s = db.session.get(Submission, submission_id)
        return SimpleNamespace(status=s.evaluation_status, public=s.public_score, private=s.private_score,
                               error=s.evaluation_error, scored_at=s.scored_at)


def count_of(app, challenge, participant) -> int:
    """How many submissions the participant has stored for the challenge."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Submission).where(
            Submission.challenge_id == challenge.id, Submission.participant_id == participant.id))


def wait_until_scored(app, challenge, timeout: float = 30) -> None:
    """Wait for the server threads to score every submission of the challenge (they run after the response)."""
    deadline = time.monotonic() + timeout
    pending = select(func.count()).select_from(Submission).where(
        Submission.challenge_id == challenge.id, Submission.evaluation_status == EvaluationStatus.PENDING)
    while True:
        with app.app_context():
            if not db.session.scalar(pending):
                return
        assert time.monotonic() < deadline, "submissions still pending after the responses were sent"
        time.sleep(0.05)


def _upload_over_http(url: str, user):
    """A predictions upload over real HTTP, ready to be sent from another thread."""
    return partial(requests.post, url, data=FORM, files={"file": ("predictions.csv", PREDICTIONS)},
                   headers=auth_headers(user), timeout=30)


def _checkrace(responses, accepted: int) -> None:
    """No 5xx, `accepted` receipts and a problem+json 409 about today's quota for every other upload."""
    assert not [r.text for r in responses if r.status_code >= 500]
    assert sorted(r.status_code for r in responses) == [201] * accepted + [409] * (len(responses) - accepted)
    refused = [r for r in responses if r.status_code == 409]
    assert {r.headers["Content-Type"] for r in refused} == {"application/problem+json"}
    assert all(r.json()["detail"].startswith("You have used today's 3 submissions") for r in refused)
    assert {r.json()["evaluation"]["status"] for r in responses if r.status_code == 201} == {"pending"}


@pytest.mark.postgres
def test_participant_uploading_twelve_predictions_at_once_gets_the_daily_three(app, client, api, time_machine):
    participant = make_user()
    challenge = scored_challenge(client, make_user())
    url = f"{api}/challenges/{challenge.id}/submissions"
    responses = race(*(_upload_over_http(url, participant) for _ in range(12)))
    _checkrace(responses, accepted=3)
    assert count_of(app, challenge, participant) == 3
    wait_until_scored(app, challenge)


@pytest.mark.postgres
def test_two_participants_uploading_at_once_each_get_their_daily_three(app, client, api, time_machine):
    first, second = make_user(), make_user()
    challenge = scored_challenge(client, make_user())
    url = f"{api}/challenges/{challenge.id}/submissions"
    responses = race(*(_upload_over_http(url, user) for _ in range(12) for user in (first, second)))
    _checkrace(responses, accepted=6)
    for index, participant in enumerate((first, second)):
        _checkrace(responses[index::2], accepted=3)
        assert count_of(app, challenge, participant) == 3
    wait_until_scored(app, challenge)


@pytest.fixture
def queued(app):
    """An app of its own on the same database whose jobs go to RQ on TEST_REDIS_URL, flushed before and after."""
    with queued_app(app) as queued:
        yield queued


def _submit_pending(queued, participant, challenge) -> int:
    """Upload predictions through the queued app; check the receipt says pending and nothing was scored yet."""
    with queued.app.test_client().post(challenge.submissions_url, headers=auth_headers(participant),
                                       **upload(PREDICTIONS, **FORM)) as response:
        assert response.status_code == 201, response.json
        assert response.json["evaluation"] == {"status": "pending", "public_score": None, "private_score": None,
                                               "error": None, "fault": None}
    assert stored(queued.app, response.json["id"]).status is EvaluationStatus.PENDING  # closed: still not run here
    return response.json["id"]


def _assert_scored(app, submission_id: int) -> None:
    public, private = expected_scores()
    evaluation = stored(app, submission_id)
    assert (evaluation.status, evaluation.error) == (EvaluationStatus.SCORED, None)
    assert evaluation.public == pytest.approx(public) and evaluation.private == pytest.approx(private)
    assert evaluation.scored_at is not None


def test_participant_prediction_waits_in_the_queue_until_an_rq_worker_scores_it(queued):
    participant = make_user()
    challenge = scored_challenge(queued.app.test_client(), make_user())
    submission_id = _submit_pending(queued, participant, challenge)
    [job] = queued.queue.get_jobs()
    assert (job.func_name, job.args) == ("challenges.jobs.run", (EVALUATE, submission_id))
    with queued.app.app_context():
        jobs.work(burst=True)
    _assert_scored(queued.app, submission_id)
    assert job.get_status(refresh=True) == "finished"
    assert (queued.queue.count, queued.queue.failed_job_registry.count) == (0, 0)
    receipt = queued.app.test_client().get(f"/api/v1/submissions/{submission_id}", headers=auth_headers(participant))
    assert receipt.json["evaluation"] == {"status": "scored", "public_score": pytest.approx(expected_scores()[0]),
                                          "private_score": None, "error": None, "fault": None}


def test_operator_runs_the_worker_command_to_score_the_queue(queued):
    challenge = scored_challenge(queued.app.test_client(), make_user())
    ids = [_submit_pending(queued, make_user(), challenge) for _ in range(2)]
    assert queued.queue.count == 2
    result = queued.app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert (result.exit_code, result.exception) == (0, None), result.output
    for submission_id in ids:
        _assert_scored(queued.app, submission_id)
    assert (queued.queue.count, queued.queue.failed_job_registry.count) == (0, 0)


def test_operator_requeues_a_pending_submission_whose_job_was_lost(queued):
    challenge = scored_challenge(queued.app.test_client(), make_user())
    submission_id = _submit_pending(queued, make_user(), challenge)
    queued.queue.empty()  # the job is lost: Redis was flushed, say
    runner = queued.app.test_cli_runner()
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert stored(queued.app, submission_id).status is EvaluationStatus.PENDING
    requeued = runner.invoke(args=["score-pending", "--older-than", "0"])
    assert (requeued.exit_code, requeued.output) == (0, "1 submission(s) queued for scoring.\n")
    [job] = queued.queue.get_jobs()
    assert job.args == (EVALUATE, submission_id)
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    _assert_scored(queued.app, submission_id)
    assert runner.invoke(args=["score-pending", "--older-than", "0"]).output == "0 submission(s) queued for scoring.\n"


def test_participant_prediction_without_redis_is_scored_once_the_response_is_closed(app, client):
    assert not app.config.get("REDIS_URL")
    participant = make_user()
    challenge = scored_challenge(client, make_user())
    with client.post(challenge.submissions_url, headers=auth_headers(participant),
                     **upload(PREDICTIONS, **FORM)) as response:
        assert response.status_code == 201, response.json
        assert response.json["evaluation"]["status"] == "pending"
        assert stored(app, response.json["id"]).status is EvaluationStatus.PENDING
    _assert_scored(app, response.json["id"])
