"""Fuzzing against our own OpenAPI spec: no caller gets a 5xx or an answer the spec does not document."""
import os
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks

from challenges import create_app
from config import TestConfig
from tests.factories import (
    add_member, make_award, make_challenge, make_organisation, make_submission, make_user,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # more for a deeper run: FUZZ_EXAMPLES=500
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]
ROLES = ("anonymous", "participant", "owner", "judge", "admin")

# The spec is read once from an app of its own; the calls go to the suite's app and its database.
schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app(TestConfig))


@pytest.fixture
def world(app):
    """Something of every kind for the fuzzer's ids to hit: an organisation, challenges in each phase,
    submissions and an award; and a token for each role."""
    owner, judge, participant, admin = make_user(), make_user(), make_user(), make_user(is_admin=True)
    organisation = make_organisation(owner)
    add_member(organisation, judge, "judge")
    for phase in ("open", "closed", "finalised", "draft", "upcoming"):
        challenge = make_challenge(organisation, phase, max_team_size=3)
        if phase in ("open", "closed", "finalised"):
            entry = make_submission(challenge, participant)
            if phase != "open":
                make_award(challenge, challenge.prize_ids[0], entry, owner)
    people = {"participant": participant, "owner": owner, "judge": judge, "admin": admin}
    return SimpleNamespace(tokens={role: user.token for role, user in people.items()})


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_any_caller_gets_an_answer_the_spec_documents(app, case, role, world):
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
