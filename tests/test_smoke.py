from tests.factories import auth_headers, make_challenge, make_organisation, make_user


def test_participant_submits_to_open_challenge(client):
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner))
    response = client.post(f"/api/v1/challenges/{challenge.id}/submissions", headers=auth_headers(participant),
                           json={"title": "Mine", "summary": "s", "body": "b", "accept_terms": True})
    assert response.status_code == 201, response.json
    assert len(response.json["content_sha256"]) == 64
