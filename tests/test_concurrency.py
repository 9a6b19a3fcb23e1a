"""Invariants under concurrent requests: real HTTP, real threads, PostgreSQL only."""
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import requests
from sqlalchemy import select

from challenges.extensions import db
from challenges.models import Award, Challenge, Membership, Role, Submission, SubmissionStatus
from tests.threads import race
from tests.factories import add_member, auth_headers, make_challenge, make_organisation, make_submission, make_user

pytestmark = pytest.mark.postgres
ENTRY = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}


def _call(method: str, url: str, user, body: dict):
    """A request, ready to be sent from another thread."""
    return partial(requests.request, method, url, json=body, headers=auth_headers(user), timeout=30)


def _statuses(responses) -> list[int]:
    """The sorted status codes, after checking that none is a 5xx."""
    assert not [r.text for r in responses if r.status_code >= 500]
    return sorted(r.status_code for r in responses)


def _scalars(app, statement) -> list:
    """What a query selects, read now from the database."""
    with app.app_context():
        return list(db.session.scalars(statement))


def test_owner_awarding_one_prize_to_twenty_submissions_at_once_gets_one_award(app, api):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), "closed")
    entries = [make_submission(challenge, make_user()) for _ in range(20)]
    prize = challenge.prize_ids[0]
    url = f"{api}/challenges/{challenge.id}/awards"
    responses = race(*(_call("POST", url, owner, {"prize_id": prize, "submission_id": e.id}) for e in entries))
    assert _statuses(responses) == [201] + [409] * 19
    [won] = [r.json() for r in responses if r.status_code == 201]
    assert _scalars(app, select(Award.submission_id).where(Award.prize_id == prize)) == [won["submission_id"]]
    assert {r.headers["Content-Type"] for r in responses if r.status_code == 409} == {"application/problem+json"}


def test_owner_awarding_every_prize_to_one_submission_at_once_gets_one_award(app, api):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), "closed", prizes=5)
    entry = make_submission(challenge, make_user())
    url = f"{api}/challenges/{challenge.id}/awards"
    responses = race(*(_call("POST", url, owner, {"prize_id": prize, "submission_id": entry.id})
                        for prize in challenge.prize_ids * 4))
    assert _statuses(responses) == [201] + [409] * 19
    assert len(_scalars(app, select(Award.id).where(Award.submission_id == entry.id))) == 1
    assert len(_scalars(app, select(Award.id).where(Award.challenge_id == challenge.id))) == 1


def test_participant_submitting_twenty_times_at_once_stops_at_the_limit(app, api):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()), "open", max_submissions_per_participant=3)
    url = f"{api}/challenges/{challenge.id}/submissions"
    responses = race(*(_call("POST", url, participant, ENTRY) for _ in range(20)))
    assert _statuses(responses) == [201] * 3 + [409] * 17
    assert len(_scalars(app, select(Submission.id).where(Submission.participant_id == participant.id))) == 3
    assert _scalars(app, select(Challenge.submission_count).where(Challenge.id == challenge.id)) == [3]


def test_participants_racing_the_deadline_are_refused_by_the_server_clock(app, api):
    participants = [make_user() for _ in range(30)]
    challenge = make_challenge(make_organisation(make_user()), "open", max_submissions_per_participant=100_000,
                               closes_at=datetime.now(UTC) + timedelta(seconds=1))
    closes_at, url = challenge.closes_at, f"{api}/challenges/{challenge.id}/submissions"

    def submit_until_after_the_deadline(user):
        trips = []  # (sent, response, answered) by the client's clock, until one was sent past the deadline
        while not trips or trips[-1][0] < closes_at + timedelta(milliseconds=100):
            sent = datetime.now(UTC)
            trips.append((sent, _call("POST", url, user, ENTRY)(), datetime.now(UTC)))
        return trips

    trips = [trip for batch in race(*(partial(submit_until_after_the_deadline, p) for p in participants))
             for trip in batch]
    assert set(_statuses([r for _, r, _ in trips])) == {201, 409}
    late = [r.status_code for sent, r, _ in trips if sent > closes_at + timedelta(milliseconds=10)]
    assert late and set(late) == {409}
    accepted = [(sent, datetime.fromisoformat(r.json()["submitted_at"]), answered)
                for sent, r, answered in trips if r.status_code == 201]
    assert not [(sent, at) for sent, at, answered in accepted if not (sent <= at <= answered and at < closes_at)]
    stored = _scalars(app, select(Submission.submitted_at).where(Submission.challenge_id == challenge.id))
    assert len(stored) == len(accepted) and max(stored) < closes_at
    assert _scalars(app, select(Challenge.submission_count).where(Challenge.id == challenge.id)) == [len(accepted)]


def test_owners_demoting_each_other_at_once_leave_one_owner(app, api):
    first, second = make_user(), make_user()
    organisation = make_organisation(first)
    add_member(organisation, second, "owner")
    url = f"{api}/organisations/{organisation.id}/members/{{}}"
    owners = select(Membership.user_id).where(Membership.organisation_id == organisation.id,
                                              Membership.role == Role.OWNER)
    for _ in range(10):
        responses = race(_call("PUT", url.format(second.id), first, {"role": "manager"}),
                          _call("PUT", url.format(first.id), second, {"role": "manager"}))
        assert _statuses(responses) in ([200, 403], [200, 409])
        winner, loser = (first, second) if responses[0].status_code == 200 else (second, first)
        assert _scalars(app, owners) == [winner.id]
        assert _call("PUT", url.format(loser.id), winner, {"role": "owner"})().status_code == 200


def test_disqualification_and_award_of_one_submission_at_once_never_both_succeed(app, api):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), "closed", prizes=5)
    entries = [make_submission(challenge, make_user()) for _ in range(10)]
    awards_url = f"{api}/challenges/{challenge.id}/awards"
    calls = []
    for i, entry in enumerate(entries):  # two submissions per prize: awards also race each other
        calls += [_call("POST", awards_url, owner, {"prize_id": challenge.prize_ids[i % 5], "submission_id": entry.id}),
                  _call("POST", f"{api}/submissions/{entry.id}/disqualify", owner, {"reason": "Plagiarism"})]
    responses = race(*calls)
    _statuses(responses)
    pairs = [(award.status_code, disqualification.status_code)
             for award, disqualification in zip(responses[::2], responses[1::2])]
    assert set(pairs) <= {(201, 409), (409, 200)}
    awarded = set(_scalars(app, select(Award.submission_id).where(Award.challenge_id == challenge.id)))
    disqualified = set(_scalars(app, select(Submission.id).where(
        Submission.challenge_id == challenge.id, Submission.status == SubmissionStatus.DISQUALIFIED)))
    assert not awarded & disqualified
    assert awarded == {e.id for e, (award, _) in zip(entries, pairs) if award == 201}
    assert disqualified == {e.id for e, (_, disqualification) in zip(entries, pairs) if disqualification == 200}


def test_owner_finalising_twice_while_awarding_finalises_once_with_no_later_award(app, api):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), "closed", prizes=5)
    entries = [make_submission(challenge, make_user()) for _ in range(5)]
    finalise = _call("POST", f"{api}/challenges/{challenge.id}/finalise", owner, None)
    url = f"{api}/challenges/{challenge.id}/awards"
    awards = [_call("POST", url, owner, {"prize_id": p, "submission_id": e.id})
              for p, e in zip(challenge.prize_ids, entries)]
    responses = race(finalise, finalise, *awards)
    assert _statuses(responses[:2]) == [200, 409]
    assert set(_statuses(responses[2:])) <= {201, 409}
    [finalised_at] = _scalars(app, select(Challenge.finalised_at).where(Challenge.id == challenge.id))
    awarded_at = _scalars(app, select(Award.awarded_at).where(Award.challenge_id == challenge.id))
    assert len(awarded_at) == [r.status_code for r in responses].count(201)
    assert not [at for at in awarded_at if at >= finalised_at]


def test_participant_retrying_one_key_ten_times_at_once_creates_one_submission(app, api):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()), "open", max_submissions_per_participant=5)
    url = f"{api}/challenges/{challenge.id}/submissions"
    headers = auth_headers(participant) | {"Idempotency-Key": "deadline-retry"}
    responses = race(*(partial(requests.post, url, json=ENTRY, headers=headers, timeout=30) for _ in range(10)))
    statuses = _statuses(responses)
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert all(r.headers["Retry-After"] for r in responses if r.status_code == 409)
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert len(_scalars(app, select(Submission.id).where(Submission.participant_id == participant.id))) == 1
    replay = requests.post(url, json=ENTRY, headers=headers, timeout=30)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"


def test_participant_retrying_one_key_ten_times_at_once_creates_one_submission(app, api):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()), "open", max_submissions_per_participant=100)
    url = f"{api}/challenges/{challenge.id}/submissions"
    retry = partial(requests.post, url, json=ENTRY, timeout=30,
                    headers=auth_headers(participant) | {"Idempotency-Key": "one-key"})
    responses = race(*(retry for _ in range(10)))
    assert set(_statuses(responses)) <= {201, 409}
    receipts = {r.json()["id"] for r in responses if r.status_code == 201}
    stored = _scalars(app, select(Submission.id).where(Submission.participant_id == participant.id))
    assert len(stored) == 1 and receipts == set(stored)
    assert {r.headers["Retry-After"] for r in responses if r.status_code == 409} <= {"1"}
    assert retry().json()["id"] == stored[0]
