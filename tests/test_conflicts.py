"""Conflicts of interest: no one takes a role in an organisation while they compete in its running challenges."""
from functools import partial

import pytest
import requests
from sqlalchemy import select, update

from challenges.extensions import db
from challenges.models import AuditEntry, Membership, Moderation, Submission, SubmissionStatus, User
from tests.factories import (
    add_member, auth_headers, make_challenge, make_org_invitation, make_organisation, make_submission, make_user,
)
from tests.threads import race

API = "/api/v1"
ENTRY = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}


def _grant(client, owner, organisation, user, role="judge"):
    """A role for the user: a member's changes with PUT, a newcomer accepts an invitation to it."""
    with client.application.app_context():
        member = db.session.get(Membership, (organisation.id, user.id)) is not None
    if member:
        return client.put(f"{API}/organisations/{organisation.id}/members/{user.id}", headers=auth_headers(owner),
                          json={"role": role})
    token = f"grant-{organisation.id}-{user.id}-{role}"
    make_org_invitation(organisation, user.email, token, role)
    return client.post(f"{API}/organisation-invitations/{token}/accept", headers=auth_headers(user))


def _state(app, organisation):
    """The organisation's members and audit trail: what a refused grant must leave as it was."""
    with app.app_context():
        members = db.session.execute(select(Membership.user_id, Membership.role).where(
            Membership.organisation_id == organisation.id).order_by(Membership.user_id)).all()
        return members, db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def _refused(response, detail: str) -> None:
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"] == detail


def _competes_in(challenge_id: int, title: str) -> str:
    return (f'This person competes in challenge #{challenge_id} "{title}". They can take a role once the challenge '
            "is over (finalised or cancelled), or once they have withdrawn their entries and left their team.")


UNNAMED_CONFLICT = ("This person competes in a running challenge. They can take a role once the challenge is over "
                      "(finalised or cancelled), or once they have withdrawn their entries and left their team.")


@pytest.mark.parametrize("phase", ["open", "closed"])
@pytest.mark.parametrize("role", ["judge", "manager", "owner"])
def test_owner_grants_role_to_entrant_gets_409_naming_the_challenge(app, client, role, phase):
    owner, entrant = make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, phase, title="Predict floods")
    make_submission(challenge, entrant)
    before = _state(app, organisation)
    _refused(_grant(client, owner, organisation, entrant, role), _competes_in(challenge.id, "Predict floods"))
    assert _state(app, organisation) == before


def test_owner_grants_role_to_disqualified_entrant_gets_409(app, client):
    owner, entrant = make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, "closed", title="Clean rivers")
    make_submission(challenge, entrant, status="disqualified")
    _refused(_grant(client, owner, organisation, entrant), _competes_in(challenge.id, "Clean rivers"))


def test_owner_grants_role_to_team_member_without_entries_gets_409(app, client):
    owner, captain, teammate = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, max_team_size=3, title="Map wells")
    team = client.post(f"{API}/challenges/{challenge.id}/teams", headers=auth_headers(captain), json={"name": "Crew"})
    invitation = client.post(f"{API}/teams/{team.json['id']}/invitations", headers=auth_headers(captain),
                             json={"user_id": teammate.id})
    assert client.post(f"{API}/invitations/{invitation.json['id']}/accept",
                       headers=auth_headers(teammate)).status_code == 200
    make_submission(challenge, captain)  # the team's entry is the captain's; the teammate competes through it
    before = _state(app, organisation)
    _refused(_grant(client, owner, organisation, teammate), _competes_in(challenge.id, "Map wells"))
    _refused(_grant(client, owner, organisation, captain), _competes_in(challenge.id, "Map wells"))
    assert _state(app, organisation) == before


def test_owner_grants_role_to_author_of_held_entry_gets_409_without_naming_it(app, client):
    owner, entrant = make_user(), make_user()
    organisation = make_organisation(owner)
    entry = make_submission(make_challenge(organisation), entrant)
    with app.app_context():
        db.session.execute(update(Submission).where(Submission.id == entry.id).values(moderation=Moderation.HELD))
        db.session.commit()
    before = _state(app, organisation)
    _refused(_grant(client, owner, organisation, entrant), UNNAMED_CONFLICT)  # held: not the organisation's to see
    assert _state(app, organisation) == before


@pytest.mark.parametrize("phase", ["finalised", "cancelled"])
def test_owner_grants_role_to_entrant_of_challenge_that_is_over_ok(client, phase):
    owner, entrant = make_user(), make_user()
    organisation = make_organisation(owner)
    make_submission(make_challenge(organisation, phase), entrant)
    response = _grant(client, owner, organisation, entrant)
    assert response.status_code == 200
    assert (response.json["status"], response.json["role"]) == ("accepted", "judge")


def test_owner_grants_role_to_entrant_who_withdrew_ok(client):
    owner, entrant = make_user(), make_user()
    organisation = make_organisation(owner)
    make_submission(make_challenge(organisation), entrant, status="withdrawn")
    assert _grant(client, owner, organisation, entrant).status_code == 200


def test_owner_grants_role_to_entrant_of_another_organisation_ok(client):
    owner, entrant = make_user(), make_user()
    organisation = make_organisation(owner)
    make_submission(make_challenge(make_organisation(make_user())), entrant)
    assert _grant(client, owner, organisation, entrant, "manager").status_code == 200


def test_owner_promotes_member_who_competes_gets_409_and_same_role_is_left_alone(app, client):
    owner, judge = make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, title="Filter salt")
    make_submission(challenge, judge)  # an entry from before they were a member
    add_member(organisation, judge, "judge")
    before = _state(app, organisation)
    _refused(_grant(client, owner, organisation, judge, "manager"), _competes_in(challenge.id, "Filter salt"))
    assert _state(app, organisation) == before
    assert _grant(client, owner, organisation, judge, "judge").status_code == 200  # no change, nothing to refuse
    assert _state(app, organisation) == before


def test_entrant_refused_a_role_stays_a_participant_and_sees_only_their_own(client):
    owner, entrant, rival = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation)
    own, theirs = make_submission(challenge, entrant), make_submission(challenge, rival)
    assert _grant(client, owner, organisation, entrant, "manager").status_code == 409
    headers = auth_headers(entrant)
    listed = client.get(f"{API}/challenges/{challenge.id}/submissions", headers=headers).json
    assert [item["id"] for item in listed["items"]] == [own.id]
    assert client.get(f"{API}/submissions/{theirs.id}", headers=headers).status_code == 404
    taken = client.patch(f"{API}/submissions/{theirs.id}", headers=headers, json={"title": "Mine now"})
    assert taken.status_code == 404
    assert client.patch(f"{API}/submissions/{own.id}", headers=headers, json={"title": "Better"}).status_code == 200
    assert client.get(f"{API}/organisations/{organisation.id}/members", headers=headers).status_code == 403
    assert client.get("/api/v1/me", headers=headers).json["memberships"] == []


def test_entrant_refused_a_role_cannot_review_shortlist_or_award(client, time_machine):
    owner, entrant, rival = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation)
    own, theirs = make_submission(challenge, entrant), make_submission(challenge, rival)
    assert _grant(client, owner, organisation, entrant, "manager").status_code == 409
    time_machine.travel(days=8)  # the deadline passed: judging and awarding are open to the organisation
    headers = auth_headers(entrant)
    for entry in (own, theirs):
        review = client.put(f"{API}/submissions/{entry.id}/review", headers=headers, json={"scores": {}})
        shortlist = client.put(f"{API}/submissions/{entry.id}/shortlist", headers=headers)
        assert (review.status_code, shortlist.status_code) == ((403, 403) if entry is own else (404, 404))
    award = client.post(f"{API}/challenges/{challenge.id}/awards", headers=headers,
                        json={"prize_id": challenge.prize_ids[0], "submission_id": own.id})
    assert award.status_code == 403 and award.mimetype == "application/problem+json"
    awards = client.get(f"{API}/challenges/{challenge.id}/awards", headers=auth_headers(owner)).json
    assert awards["items"] == []


def test_operator_promotes_entrant_to_admin_is_refused(app):
    owner, entrant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), title="Count birds")
    make_submission(challenge, entrant)
    result = app.test_cli_runner().invoke(args=["create-admin", entrant.email, "--password-stdin"],
                                          input="a very long password\n")
    assert result.exit_code != 0
    assert f'challenge #{challenge.id} "Count birds"' in result.output
    with app.app_context():
        assert db.session.get(User, entrant.id).is_admin is False


def test_operator_promotes_entrant_of_finalised_challenge_to_admin_ok(app):
    entrant = make_user()
    make_submission(make_challenge(make_organisation(make_user()), "finalised"), entrant)
    result = app.test_cli_runner().invoke(args=["create-admin", entrant.email, "--password-stdin"],
                                          input="a very long password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(User, entrant.id).is_admin is True


def _call(method: str, url: str, user, body: dict | None = None):
    return partial(requests.request, method, url, json=body, headers=auth_headers(user), timeout=30)


@pytest.mark.postgres
def test_entry_and_grant_of_a_role_at_once_never_both_succeed(app, api):
    owner = make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, max_submissions_per_participant=None)
    outcomes = []
    for _ in range(30):
        entrant = make_user()
        make_org_invitation(organisation, entrant.email, f"entry-race-{entrant.id}")
        entry, grant = race(
            _call("POST", f"{api}/challenges/{challenge.id}/submissions", entrant, ENTRY),
            _call("POST", f"{api}/organisation-invitations/entry-race-{entrant.id}/accept", entrant))
        outcomes.append((entry.status_code, grant.status_code))
        with app.app_context():
            member = db.session.get(Membership, (organisation.id, entrant.id)) is not None
            entered = db.session.scalar(select(Submission.id).where(
                Submission.participant_id == entrant.id, Submission.status != SubmissionStatus.WITHDRAWN)) is not None
        assert (member, entered) == ((False, True) if entry.status_code == 201 else (True, False))
    assert set(outcomes) <= {(201, 409), (403, 200)}


@pytest.mark.postgres
def test_joining_a_team_and_grant_of_a_role_at_once_never_both_succeed(app, api):
    owner, captain = make_user(), make_user()
    organisation = make_organisation(owner)
    challenge = make_challenge(organisation, max_team_size=100)
    team = requests.post(f"{api}/challenges/{challenge.id}/teams", json={"name": "Crew"},
                         headers=auth_headers(captain), timeout=30).json()
    outcomes = []
    for _ in range(30):
        joiner = make_user()
        invitation = _call("POST", f"{api}/teams/{team['id']}/invitations", captain, {"user_id": joiner.id})().json()
        make_org_invitation(organisation, joiner.email, f"team-race-{joiner.id}")
        accepted, grant = race(
            _call("POST", f"{api}/invitations/{invitation['id']}/accept", joiner),
            _call("POST", f"{api}/organisation-invitations/team-race-{joiner.id}/accept", joiner))
        outcomes.append((accepted.status_code, grant.status_code))
    assert set(outcomes) <= {(200, 409), (403, 200)}
