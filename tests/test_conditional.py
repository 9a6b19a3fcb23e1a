"""ETags on reads, 304 on unchanged reads, 412 on stale writes."""
from tests.factories import auth_headers, make_challenge, make_organisation, make_submission, make_user


def test_anonymous_rereads_unchanged_challenge_gets_304(client):
    challenge = make_challenge(make_organisation(make_user()))
    first = client.get(f"/api/v1/challenges/{challenge.id}")
    assert first.headers["ETag"]
    again = client.get(f"/api/v1/challenges/{challenge.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_manager_patches_with_stale_if_match_gets_412_and_nothing_changes(client):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), phase="draft")
    url, headers = f"/api/v1/challenges/{challenge.id}", auth_headers(owner)
    etag = client.get(url, headers=headers).headers["ETag"]
    first = client.patch(url, headers=headers | {"If-Match": etag}, json={"title": "First edit"})
    assert first.status_code == 200
    stale = client.patch(url, headers=headers | {"If-Match": etag}, json={"title": "Second edit"})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert client.get(url, headers=headers).json["title"] == "First edit"
    fresh = client.patch(url, headers=headers | {"If-Match": first.headers["ETag"]}, json={"title": "Third"})
    assert fresh.status_code == 200


def test_author_patches_submission_with_current_if_match(client):
    owner, author = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner))
    submission = make_submission(challenge, author)
    url, headers = f"/api/v1/submissions/{submission.id}", auth_headers(author)
    etag = client.get(url, headers=headers).headers["ETag"]
    assert client.patch(url, headers=headers | {"If-Match": '"stale"'}, json={"body": "x"}).status_code == 412
    assert client.patch(url, headers=headers | {"If-Match": etag}, json={"body": "y"}).status_code == 200
