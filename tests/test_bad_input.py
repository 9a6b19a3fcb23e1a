"""Bad input on every write endpoint and every list: a clear 4xx problem, never a 5xx, nothing written."""
import base64
import json
from types import SimpleNamespace

import pytest

from challenges.extensions import db
from tests.factories import (
    PASSWORD, add_member, auth_headers, make_award, make_challenge, make_org_invitation, make_organisation,
    make_registration, make_submission, make_user,
)

MIB = 1024 * 1024
LATER = "2099-01-01T00:00:00+00:00"
MISSING = object()
PRIZES = [{"title": "First", "reward": {"amount": 100000, "currency": "EUR"}}]

INVITATION_TOKEN = "newcomer-invitation"  # the newcomer's invitation to the organisation
ENDPOINTS = {  # name: (caller, phase, method, path, valid body or None for a call without one)
    "register": (None, "open", "POST", "/users",
                 lambda w: {"email": "new@example.com", "password": "a long password", "display_name": "New"}),
    "sign_in": (None, "open", "POST", "/tokens", lambda w: {"email": w.participant_email, "password": PASSWORD}),
    "update_me": ("participant", "open", "PATCH", "/me", lambda w: {"locale": "fr"}),
    "change_password": ("participant", "open", "POST", "/me/password",
                        lambda w: {"current_password": PASSWORD, "new_password": "a new passphrase"}),
    "erase_me": ("participant", "open", "DELETE", "/me", lambda w: {"current_password": PASSWORD}),
    "request_password_reset": (None, "open", "POST", "/password-resets", lambda w: {"email": w.participant_email}),
    "create_organisation": ("participant", "open", "POST", "/organisations", lambda w: {"name": "Acme"}),
    "update_organisation": ("owner", "open", "PATCH", "/organisations/{org}", lambda w: {"name": "Acme"}),
    "set_member": ("owner", "open", "PUT", "/organisations/{org}/members/{member}", lambda w: {"role": "manager"}),
    "invite": ("owner", "open", "POST", "/organisations/{org}/invitations",
               lambda w: {"email": "invited@example.com", "role": "judge"}),
    "accept_invitation": ("newcomer", "open", "POST", f"/organisation-invitations/{INVITATION_TOKEN}/accept", None),
    "decline_invitation": ("newcomer", "open", "POST", f"/organisation-invitations/{INVITATION_TOKEN}/decline", None),
    "create_challenge": ("owner", "open", "POST", "/challenges",
                         lambda w: {"organisation_id": w.org, "title": "T", "closes_at": LATER, "prizes": PRIZES}),
    "update_challenge": ("owner", "draft", "PATCH", "/challenges/{challenge}", lambda w: {"title": "T"}),
    "publish": ("owner", "draft", "POST", "/challenges/{challenge}/publish", None),
    "cancel": ("owner", "open", "POST", "/challenges/{challenge}/cancel", lambda w: {"reason": "Why"}),
    "finalise": ("owner", "closed", "POST", "/challenges/{challenge}/finalise", None),
    "submit": ("participant", "open", "POST", "/challenges/{challenge}/submissions",
               lambda w: {"title": "Mine", "accept_terms": True}),
    "revise": ("participant", "open", "PATCH", "/submissions/{submission}", lambda w: {"title": "Better"}),
    "withdraw": ("participant", "open", "POST", "/submissions/{submission}/withdraw", None),
    "disqualify": ("owner", "open", "POST", "/submissions/{submission}/disqualify", lambda w: {"reason": "Spam"}),
    "register_for_challenge": ("newcomer", "open", "POST", "/challenges/{challenge}/registration",
                               lambda w: {"accept_terms": True, "answers": {}}),
    "refuse_registration": ("owner", "open", "POST", "/challenges/{challenge}/registrations/{newcomer}/refuse",
                            lambda w: {"reason": "Not eligible"}),
    "award": ("owner", "closed", "POST", "/challenges/{challenge}/awards",
              lambda w: {"prize_id": w.prize, "submission_id": w.submission}),
    "payout": ("owner", "finalised", "POST", "/awards/{award}/payout", lambda w: {"reference": "PAY-1"}),
    "cancel_award": ("owner", "finalised", "POST", "/awards/{award}/cancel", lambda w: {"reason": "Failed checks"}),
}
WITH_BODY = [name for name, spec in ENDPOINTS.items() if spec[4]]
SIGNED_IN = [name for name, spec in ENDPOINTS.items() if spec[0]]
WITH_PATH_IDS = [name for name, spec in ENDPOINTS.items() if "{" in spec[3]]


def arrange(endpoint: str) -> SimpleNamespace:
    """The world of one endpoint: its caller allowed, its resources in the phase the call needs."""
    caller, phase, method, path, body = ENDPOINTS[endpoint]
    owner, participant, newcomer, member = make_user(), make_user(), make_user(), make_user()
    org = make_organisation(owner)
    add_member(org, member, "judge")
    make_org_invitation(org, newcomer.email, INVITATION_TOKEN)
    challenge = make_challenge(org, phase=phase)
    other = make_challenge(org, phase=phase)
    w = SimpleNamespace(org=org.id, participant=participant.id, participant_email=participant.email,
                        newcomer=newcomer.id, newcomer_email=newcomer.email, member=member.id,
                        challenge=challenge.id, prize=challenge.prize_ids[0], other_prize=other.prize_ids[0],
                        submission=None, other_submission=None, award=None, method=method)
    if phase != "draft":
        w.submission = make_submission(challenge, participant).id
        w.other_submission = make_submission(other, participant).id
    if endpoint == "refuse_registration":
        make_registration(challenge, newcomer, "pending")
    if phase == "finalised":
        w.award = make_award(challenge, w.prize, SimpleNamespace(id=w.submission), owner).id
    callers = {"owner": owner, "participant": participant, "newcomer": newcomer}
    w.headers = auth_headers(callers[caller]) if caller else {}
    w.path = "/api/v1" + path.format(**vars(w))
    w.template, w.body = "/api/v1" + path, body and body(w)
    return w


def problem_of(response, status: int, field: str | None = None) -> dict:
    """Check an RFC 9457 answer of this status (naming the field for a 422) and return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:600])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status and all(isinstance(body[k], str) and body[k] for k in ("type", "title", "detail"))
    if status == 422:
        assert body.get("errors"), body
    if field:
        assert field in body["errors"], body
    return body


@pytest.fixture
def rows(app):
    """Every row of every table: what a refused call must leave untouched."""
    def read():
        with app.app_context():
            return {table.name: sorted(map(tuple, db.session.execute(table.select())), key=repr)
                    for table in db.metadata.sorted_tables}
    return read


@pytest.fixture
def refused(client, rows):
    """Make a call and check it is refused with a problem of this status, writing nothing."""
    def call(w, status, field=None, path=None, **kwargs):
        before = rows()
        headers = w.headers | kwargs.pop("headers", {})
        response = client.open(path or w.path, method=w.method, headers=headers, **kwargs)
        problem_of(response, status, field)
        assert rows() == before
        return response
    return call


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_allowed_caller_sends_valid_body_succeeds(client, endpoint):
    w = arrange(endpoint)
    response = client.open(w.path, method=w.method, headers=w.headers, json=w.body)
    assert 200 <= response.status_code < 300, response.get_json()


UNREADABLE = {  # name: (request arguments from the valid body, status)
    "malformed_json": (lambda b: {"data": '{"title": ', "content_type": "application/json"}, 400),
    "trailing_garbage": (lambda b: {"data": json.dumps(b) + "}", "content_type": "application/json"}, 400),
    "not_utf8": (lambda b: {"data": b'{"title": "\xff\xfe"}', "content_type": "application/json"}, 400),
    "deeply_nested": (lambda b: {"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"}, 400),
    "number_beyond_parser": (lambda b: {"data": '{"title": 1' + "0" * 5000 + "}",
                                        "content_type": "application/json"}, 400),
    "text_plain": (lambda b: {"data": json.dumps(b), "content_type": "text/plain"}, 415),
    "form_encoded": (lambda b: {"data": {"title": "x"}}, 415),
    "json_without_content_type": (lambda b: {"data": json.dumps(b), "headers": {"Content-Type": ""}}, 415),
    "over_size_limit": (lambda b: {"data": " " * MIB + json.dumps(b), "content_type": "application/json"}, 413),
    "unknown_field": (lambda b: {"json": b | {"surprise": 1}}, 422),
}


@pytest.mark.parametrize("case", UNREADABLE)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_allowed_caller_sends_unreadable_body_gets_problem(refused, endpoint, case):
    w = arrange(endpoint)
    request, status = UNREADABLE[case]
    refused(w, status, "surprise" if case == "unknown_field" else None, **request(w.body or {}))


@pytest.mark.parametrize("shape", [[], ["x"], "a string", 42, None, True])
@pytest.mark.parametrize("endpoint", WITH_BODY)
def test_allowed_caller_sends_non_object_body_gets_422(refused, endpoint, shape):
    w = arrange(endpoint)
    refused(w, 422, data=json.dumps(shape), content_type="application/json")


def prize(**reward):
    return [{"title": "First", "reward": {"amount": 100000, "currency": "EUR"} | reward}]


def reasons(endpoint, field, length):
    return [(endpoint, field, MISSING), (endpoint, field, ""), (endpoint, field, "x" * (length + 1)),
            (endpoint, field, 5), (endpoint, field, ["x"]), (endpoint, field, None)]


INVALID = [  # (endpoint, field, value; MISSING drops the field; a callable gets the world)
    *[("register", f, MISSING) for f in ("email", "password", "display_name")],
    ("register", "email", "not-an-email"), ("register", "email", "a" * 243 + "@example.com"),
    ("register", "email", 42), ("register", "password", "too short"), ("register", "password", "x" * 1025),
    ("register", "display_name", ""), ("register", "display_name", "x" * 101), ("register", "display_name", None),
    ("sign_in", "email", MISSING), ("sign_in", "password", MISSING), ("sign_in", "email", "a" * 255),
    ("sign_in", "password", "x" * 1025), ("sign_in", "password", ["x"]),
    ("create_organisation", "name", MISSING), ("create_organisation", "name", ""),
    ("create_organisation", "name", "x" * 201), ("create_organisation", "name", 5),
    ("create_organisation", "description", "x" * 10_001), ("create_organisation", "website", "ftp://acme.org"),
    ("create_organisation", "website", "not a url"),
    ("create_organisation", "website", "https://" + "a" * 500 + ".org"),
    ("update_organisation", "name", None), ("update_organisation", "name", "x" * 201),
    ("update_organisation", "website", "javascript:alert(1)"), ("update_organisation", "description", {"a": 1}),
    ("set_member", "role", MISSING), ("set_member", "role", "emperor"), ("set_member", "role", 1),
    ("set_member", "role", ["owner"]), ("set_member", "role", None), ("set_member", "email", "a@example.com"),
    ("invite", "email", MISSING), ("invite", "role", MISSING), ("invite", "email", "not an email"),
    ("invite", "email", "a" * 243 + "@example.com"), ("invite", "email", 5), ("invite", "role", "emperor"),
    ("invite", "role", None), ("invite", "user_id", 1),
    *[("create_challenge", f, MISSING) for f in ("organisation_id", "title", "closes_at")],
    ("create_challenge", "organisation_id", "1"), ("create_challenge", "organisation_id", lambda w: w.org + 0.5),
    ("create_challenge", "organisation_id", 2**31), ("create_challenge", "organisation_id", 0),
    ("create_challenge", "organisation_id", True), ("create_challenge", "organisation_id", 999_999),
    ("create_challenge", "closes_at", "2099-01-01T00:00:00"), ("create_challenge", "closes_at", "2099-01-01"),
    ("create_challenge", "closes_at", "next week"), ("create_challenge", "closes_at", 4_102_444_800),
    ("create_challenge", "closes_at", "9999-12-31T23:59:59-01:00"),
    ("create_challenge", "opens_at", "2098-01-01T00:00:00"), ("create_challenge", "opens_at", "2099-06-01T00:00:00Z"),
    ("create_challenge", "opens_at", "0001-01-01T00:30:00+01:00"),
    ("create_challenge", "title", "x" * 201), ("create_challenge", "summary", "x" * 1001),
    ("create_challenge", "description", "x" * 100_001), ("create_challenge", "rules", "x" * 100_001),
    ("create_challenge", "ip_terms", "x" * 50_001), ("create_challenge", "tags", ["t"] * 21),
    ("create_challenge", "tags", ["x" * 41]), ("create_challenge", "tags", ["  "]),
    ("create_challenge", "tags", "ai"), ("create_challenge", "tags", [5]),
    ("create_challenge", "evaluation", "lottery"), ("create_challenge", "evaluation", "scored", "scoring"),
    ("create_challenge", "scoring", {"metric": "accuracy"}), ("create_challenge", "judging", "strict"),
    ("create_challenge", "judging", {"disagreement_threshold": 2}), ("create_challenge", "judging", {"surprise": 1}),
    ("create_challenge", "max_submissions_per_participant", 0),
    ("create_challenge", "max_submissions_per_participant", 100_001),
    ("create_challenge", "max_submissions_per_participant", "3"),
    ("create_challenge", "max_submissions_per_participant", 2.5),
    ("create_challenge", "publish_winning_submissions", "no"),
    *[("create_challenge", "prizes", value) for value in (
        prize(amount=0), prize(amount=-100), prize(amount=10**13 + 1), prize(amount=10**30), prize(amount=2**63),
        prize(amount=1.5), prize(amount="500"), prize(amount=None), prize(currency="XYZ"), prize(currency="eur"),
        prize(currency=978), [{"title": "First", "reward": {"amount": 1}}], [{"title": "First", "reward": []}],
        [{"reward": None}], [{"title": "x" * 201}], [{"title": "A", "rank": 2}], [{"title": "A", "id": 2**31}],
        {"title": "First"}, [{"title": "A"}] * 51)],
    ("update_challenge", "title", "x" * 201), ("update_challenge", "title", None),
    ("update_challenge", "closes_at", "2099-01-01T00:00:00"), ("update_challenge", "closes_at", None),
    ("update_challenge", "opens_at", LATER), ("update_challenge", "organisation_id", lambda w: w.org),
    ("update_challenge", "evaluation", "scored", "scoring"), ("update_challenge", "prizes", prize(amount=-1)),
    ("update_challenge", "prizes", lambda w: [{"id": w.other_prize, "title": "Theirs"}]),
    ("update_challenge", "prizes", [{"id": 2**31, "title": "Huge"}]), ("update_challenge", "tags", None),
    *reasons("cancel", "reason", 2000), *reasons("disqualify", "reason", 2000),
    *reasons("cancel_award", "reason", 2000), *reasons("payout", "reference", 200),
    ("submit", "title", MISSING), ("submit", "accept_terms", MISSING), ("submit", "accept_terms", False),
    ("submit", "accept_terms", "yes"), ("submit", "accept_terms", None), ("submit", "title", ""),
    ("submit", "title", "x" * 201), ("submit", "title", 5), ("submit", "summary", "x" * 1001),
    ("submit", "body", "x" * 200_001), ("submit", "links", "https://example.org"),
    ("submit", "links", ["ftp://x.org"]),
    ("submit", "links", ["https://example.org/" + "a" * 2000]), ("submit", "links", ["https://example.org"] * 21),
    ("submit", "links", [5]),
    ("revise", "title", ""), ("revise", "title", None), ("revise", "title", "x" * 201),
    ("revise", "summary", "x" * 1001),
    ("revise", "body", "x" * 200_001), ("revise", "links", ["javascript:alert(1)"]), ("revise", "accept_terms", True),
    ("register_for_challenge", "accept_terms", MISSING), ("register_for_challenge", "accept_terms", False),
    ("register_for_challenge", "accept_terms", "yes"), ("register_for_challenge", "answers", []),
    ("register_for_challenge", "answers", {"q": 5}), ("register_for_challenge", "answers", {"q": "x" * 2001}),
    ("register_for_challenge", "answers", {"x" * 41: "a"}), ("register_for_challenge", "answers", {"q": "a"}),
    ("refuse_registration", "reason", "x" * 2001), ("refuse_registration", "reason", 5),
    ("create_challenge", "registration", "invite"), ("create_challenge", "registration_closes_at", "2099-01-01"),
    ("create_challenge", "registration_form", [{"id": "q", "label": "Q", "type": "choice"}]),
    ("create_challenge", "registration_form", [{"id": "q", "label": "Q", "type": "country", "choices": ["FR"]}]),
    ("create_challenge", "registration_form", [{"id": "Q!", "label": "Q", "type": "text"}]),
    ("create_challenge", "registration_form", [{"id": "q", "label": "Q", "type": "text"}] * 2),
    ("create_challenge", "registration_form", {"id": "q"}),
    ("award", "prize_id", MISSING), ("award", "submission_id", MISSING), ("award", "prize_id", lambda w: str(w.prize)),
    ("award", "prize_id", lambda w: float(w.prize)), ("award", "prize_id", True), ("award", "prize_id", 0),
    ("award", "prize_id", -1), ("award", "prize_id", 2**31), ("award", "submission_id", 2**63),
    ("award", "submission_id", 1e300), ("award", "prize_id", lambda w: [w.prize]), ("award", "prize_id", 999_999),
    ("award", "prize_id", lambda w: w.other_prize), ("award", "submission_id", lambda w: w.other_submission),
    ("award", "submission_id", {"id": 1}),
]


CASES = [(*case, case[1])[:4] for case in INVALID]
CASE_IDS = [f"{e}-{f}-" + ("missing" if v is MISSING else "ref" if callable(v) else repr(v)[:24])
            for e, f, v, _ in CASES]


@pytest.mark.parametrize(("endpoint", "field", "value", "named"), CASES, ids=CASE_IDS)
def test_allowed_caller_sends_invalid_field_gets_422_naming_it(refused, endpoint, field, value, named):
    w = arrange(endpoint)
    body = dict(w.body)
    if value is MISSING:
        del body[field]
    else:
        body[field] = value(w) if callable(value) else value
    refused(w, 422, named, json=body)


JUNK = [None, "", "\x00", "\ud800", "\U0001f600" * 300, [], {}, [None], 0, -1, 2**64, 1e308, True,
        "2099-01-01T00:00:00", "9999-12-31T23:59:59+00:00"]


@pytest.mark.parametrize("junk", JUNK, ids=[repr(j)[:20] for j in JUNK])
@pytest.mark.parametrize("endpoint", WITH_BODY)
def test_allowed_caller_sends_junk_in_any_field_never_gets_5xx(client, endpoint, junk):
    w = arrange(endpoint)
    for field in w.body:
        response = client.open(w.path, method=w.method, headers=w.headers, json=w.body | {field: junk})
        assert response.status_code < 500, (field, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            problem_of(response, response.status_code)


@pytest.mark.parametrize("bad_id", ["2147483648", "99999999999999999999999", "0", "abc", "2147483647"])
@pytest.mark.parametrize("endpoint", WITH_PATH_IDS)
def test_allowed_caller_names_impossible_id_in_path_gets_404(refused, endpoint, bad_id):
    w = arrange(endpoint)
    path = w.template.format(**{k: bad_id for k in ("org", "participant", "newcomer", "member", "challenge",
                                                    "submission", "award")})
    refused(w, 404, path=path, json=w.body)


ANONYMOUS_BODIES = {
    "unknown_field": {"json": {"surprise": 1}},
    "wrong_types": {"json": {"title": 5, "reason": [], "prize_id": "x", "role": 1, "name": None}},
    "malformed_json": {"data": "{", "content_type": "application/json"},
}


@pytest.mark.parametrize("token", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"])
@pytest.mark.parametrize("endpoint", SIGNED_IN)
def test_anonymous_sends_bad_body_gets_401(refused, endpoint, token):
    w = arrange(endpoint)
    w.headers = {"Authorization": token} if token else {}
    for body in ANONYMOUS_BODIES.values():
        response = refused(w, 401, **body)
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


LISTS = {
    "challenges": ("/challenges", "created_at"),
    "members": ("/organisations/{org}/members", "user_id"),
    "audit": ("/organisations/{org}/audit", "id"),
    "organisation_invitations": ("/organisations/{org}/invitations", "id"),
    "my_invitations": ("/me/invitations", "created_at"),
    "submissions": ("/challenges/{challenge}/submissions", "id"),
    "awards": ("/challenges/{challenge}/awards", "id"),
    "results": ("/challenges/{challenge}/results", "rank"),
    "registrations": ("/challenges/{challenge}/registrations", "user_id"),
}


def list_world(name):
    w = arrange("payout")
    w.method, w.path = "GET", "/api/v1" + LISTS[name][0].format(**vars(w))
    return w


def cursors_for(key):
    keys = ["created_at", "id"] if key == "created_at" else [key]
    other = ["id"] if key != "id" else ["user_id"]
    at = ["2030-01-01T00:00:00+00:00"] if key == "created_at" else []
    return {
        "not_base64": "not a cursor!", "not_ascii": "\u00e9t\u00e9", "not_json": b64("not json"),
        "not_utf8": base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(), "json_list": b64("[1, 2]"),
        "json_string": b64('"k"'), "no_values": b64(json.dumps({"k": keys})),
        "other_list": b64(json.dumps({"k": other, "v": [1]})),
        "too_few_values": b64(json.dumps({"k": keys, "v": []})),
        "string_id": b64(json.dumps({"k": keys, "v": [*at, "1"]})),
        "float_id": b64(json.dumps({"k": keys, "v": [*at, 1.5]})),
        "bool_id": b64(json.dumps({"k": keys, "v": [*at, True]})),
        "id_beyond_int64": b64(json.dumps({"k": keys, "v": [*at, 2**63]})),
        "naive_time": b64(json.dumps({"k": ["created_at", "id"], "v": ["2030-01-01T00:00:00", 1]})),
        "not_a_time": b64(json.dumps({"k": ["created_at", "id"], "v": ["not a time", 1]})),
        "time_beyond_utc": b64(json.dumps({"k": ["created_at", "id"], "v": ["9999-12-31T23:59:59-01:00", 1]})),
        "overlong": b64(json.dumps({"k": keys, "v": [*at, 1], "pad": "x" * 1000})),
    }


CURSOR_CASES = list(cursors_for("id"))


@pytest.mark.parametrize("case", CURSOR_CASES)
@pytest.mark.parametrize("name", LISTS)
def test_member_lists_with_bad_cursor_gets_400(refused, name, case):
    w = list_world(name)
    refused(w, 400, query_string={"cursor": cursors_for(LISTS[name][1])[case]})


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", "", "1e2", "99999999999999999999999"])
@pytest.mark.parametrize("name", LISTS)
def test_member_lists_with_limit_out_of_range_gets_422(refused, name, limit):
    w = list_world(name)
    refused(w, 422, "limit", query_string={"limit": limit})


def test_member_reuses_cursor_of_another_sort_gets_400(client, refused):
    w = list_world("challenges")
    first = client.get(w.path, headers=w.headers, query_string={"limit": 1})
    assert first.status_code == 200 and first.json["next_cursor"], first.json
    refused(w, 400, query_string={"limit": 1, "sort": "closes_at", "cursor": first.json["next_cursor"]})


@pytest.mark.parametrize("sort", ["-created_at", "closes_at", "-prize_total"])
def test_member_follows_next_cursor_gets_next_page(client, sort):
    w = list_world("challenges")
    first = client.get(w.path, headers=w.headers, query_string={"limit": 1, "sort": sort})
    assert first.status_code == 200 and first.json["next_cursor"], first.json
    second = client.get(w.path, headers=w.headers, query_string={"limit": 1, "sort": sort,
                                                                  "cursor": first.json["next_cursor"]})
    assert second.status_code == 200, second.get_data(as_text=True)[:300]
    assert len({c["id"] for c in first.json["items"] + second.json["items"]}) == 2
