"""Challenges: drafting, publishing, browsing, cancelling, finalising, results."""
from datetime import datetime

from flask import request

from challenges.api.blueprint import Blueprint, no_body
from challenges.api.cached import anonymous_cache, next_phase_boundary

from challenges.api.conditional import if_match
from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.awards import ResultOut
from challenges.schemas.challenges import (
    ChallengeIn, ChallengeListArgs, ChallengeOut, ChallengePatch, ChallengeSummaryOut,
)
from challenges.schemas.common import PageArgs, ReasonIn, page_of
from challenges.services import awards, challenges, lifecycle

bp = Blueprint("challenges", __name__, url_prefix="/api/v1/challenges", description="Challenges.")


class ChallengeQuery(ChallengeListArgs, PageArgs):
    """Paging, filters and sort of the challenge list."""


def _page_boundary(page: dict) -> datetime | None:
    """A page changes when one of its challenges changes phase, and a page of one phase when any does."""
    moments = [next_phase_boundary(page["items"]), challenges.next_phase_change() if "phase" in request.args else None]
    return min(filter(None, moments), default=None)


@bp.get("")
@anonymous_cache("challenge-list", ChallengeQuery().fields, _page_boundary)
@authenticated
@bp.arguments(ChallengeQuery, location="query")
@bp.response(200, page_of(ChallengeSummaryOut))
def list_challenges(args):
    """Browse published challenges: filter by phase, organisation, tag or text; sort (summaries: no long texts)."""
    return challenges.browse(current_user(), **args)


@bp.post("")
@login_required
@idempotent
@bp.arguments(ChallengeIn)
@bp.response(201, ChallengeOut)
def create_challenge(data):
    """Draft a challenge (owners, managers of the organisation)."""
    return challenges.create(current_user(), **data)


@bp.get("/<id:challenge_id>")
@anonymous_cache("challenge", (), lambda challenge: next_phase_boundary([challenge]))
@authenticated
@bp.response(200, ChallengeOut)
def get_challenge(challenge_id):
    """A challenge; drafts only to the organisation's members."""
    return challenges.detail(current_user(), challenge_id)


@bp.patch("/<id:challenge_id>")
@login_required
@guard(challenges.manageable)
@if_match(challenges.locked_for_edit, ChallengeOut)
@bp.arguments(ChallengePatch)
@bp.response(200, ChallengeOut)
def update_challenge(data, challenge_id):
    """Edit a draft, or amend a published challenge within the rules."""
    return challenges.update(current_user(), challenge_id, **data)


@bp.delete("/<id:challenge_id>")
@login_required
@bp.response(204)
def delete_challenge(challenge_id):
    """Delete a draft."""
    challenges.delete(current_user(), challenge_id)


@bp.post("/<id:challenge_id>/publish")
@login_required
@guard(challenges.manageable)
@no_body(bp)
@bp.response(200, ChallengeOut)
def publish_challenge(_body, challenge_id):
    """Publish a draft: it needs a prize and a future deadline."""
    return lifecycle.publish(current_user(), challenge_id)


@bp.post("/<id:challenge_id>/cancel")
@login_required
@guard(challenges.manageable)
@bp.arguments(ReasonIn)
@bp.response(200, ChallengeOut)
def cancel_challenge(data, challenge_id):
    """Call a challenge off, with a reason."""
    return lifecycle.cancel(current_user(), challenge_id, data["reason"])


@bp.post("/<id:challenge_id>/finalise")
@login_required
@guard(challenges.manageable)
@no_body(bp)
@bp.response(200, ChallengeOut)
def finalise_challenge(_body, challenge_id):
    """Announce the results of a closed challenge."""
    return lifecycle.finalise(current_user(), challenge_id)


@bp.get("/<id:challenge_id>/results")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(ResultOut))
def results(args, challenge_id):
    """The winners, by prize rank, once finalised."""
    return awards.results(current_user(), challenge_id, **args)
