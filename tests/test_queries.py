"""Lists cost a fixed number of queries, whatever the page size (no N+1)."""

import pytest

from tests.factories import (
    add_member, auth_headers, make_award, make_challenge, make_organisation, make_submission, make_user,
    statements_sent,
)


@pytest.fixture
def busy(app, client):
    owner = make_user()
    organisation = make_organisation(owner)
    for n in range(6):
        add_member(organisation, make_user(), "judge")
        client.post(f"/api/v1/organisations/{organisation.id}/invitations", headers=auth_headers(owner),
                    json={"email": f"invitee{n}@example.com", "role": "judge"})  # audited
    challenges = [make_challenge(organisation, phase="finalised", tags=("a", "b")) for _ in range(6)]
    for challenge in challenges[:1]:
        for prize_id in challenge.prize_ids:
            make_award(challenge, prize_id, make_submission(challenge, make_user()), owner)
        for _ in range(4):
            make_submission(challenge, make_user())
    return owner, organisation, challenges[0]


@pytest.mark.parametrize("path", [
    "/api/v1/challenges",
    "/api/v1/challenges/{challenge}/submissions",
    "/api/v1/challenges/{challenge}/awards",
    "/api/v1/challenges/{challenge}/results",
    "/api/v1/organisations/{organisation}/members",
    "/api/v1/organisations/{organisation}/audit",
    "/api/v1/organisations/{organisation}/invitations",
])
def test_owner_lists_with_constant_query_count(app, client, busy, path):
    owner, organisation, challenge = busy
    url = path.format(challenge=challenge.id, organisation=organisation.id)
    counts = []
    for limit in (1, 100):
        with statements_sent(app) as statements:
            response = client.get(f"{url}?limit={limit}", headers=auth_headers(owner))
        assert response.status_code == 200
        counts.append(len(statements))
    assert len(response.json["items"]) > 1
    assert counts[0] == counts[1]
