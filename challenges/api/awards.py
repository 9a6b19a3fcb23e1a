"""Awards and payouts."""
from challenges.api.blueprint import Blueprint

from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.auth import authenticated, current_user, login_required
from challenges.schemas.awards import AwardIn, AwardOut, PayoutIn
from challenges.schemas.common import PageArgs, ReasonIn, page_of
from challenges.services import awards, challenges

bp = Blueprint("awards", __name__, url_prefix="/api/v1", description="Awards and payouts.")


@bp.post("/challenges/<id:challenge_id>/awards")
@login_required
@guard(challenges.manageable)
@idempotent
@bp.arguments(AwardIn)
@bp.response(201, AwardOut)
def create_award(data, challenge_id):
    """Award a prize to a submission after the deadline."""
    return awards.create(current_user(), challenge_id, **data)


@bp.get("/challenges/<id:challenge_id>/awards")
@authenticated
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(AwardOut))
def list_awards(args, challenge_id):
    """A challenge's awards: members, and everyone once finalised (payouts: members and the winner)."""
    return awards.for_challenge(current_user(), challenge_id, **args)


@bp.delete("/challenges/<id:challenge_id>/awards/<id:award_id>")
@login_required
@bp.response(204)
def revoke_award(challenge_id, award_id):
    """Revoke an award before finalisation."""
    awards.revoke(current_user(), challenge_id, award_id)


@bp.post("/awards/<id:award_id>/payout")
@login_required
@guard(awards.manageable)
@idempotent
@bp.arguments(PayoutIn)
@bp.response(200, AwardOut)
def pay_award(data, award_id):
    """Mark an award paid, with the payment's reference, after finalisation."""
    return awards.mark_paid(current_user(), award_id, data["reference"])


@bp.post("/awards/<id:award_id>/cancel")
@login_required
@guard(awards.manageable)
@bp.arguments(ReasonIn)
@bp.response(200, AwardOut)
def cancel_award(data, award_id):
    """Cancel an unpaid award after finalisation, with a reason."""
    return awards.cancel(current_user(), award_id, data["reason"])
