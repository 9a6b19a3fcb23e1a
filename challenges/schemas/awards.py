"""Awards, payouts and results."""
from marshmallow import fields

from challenges.models import AwardStatus
from challenges.schemas.challenges import PrizeOut
from challenges.schemas.common import Schema, UserRef, ident, name
from challenges.schemas.teams import SplitOut


class AwardIn(Schema):
    """The prize to give and the submission to give it to."""

    prize_id = ident(required=True)
    submission_id = ident(required=True)


class PayoutIn(Schema):
    """The payment's reference."""

    reference = name(200)


class AwardOut(Schema):
    """An award and its payout status; the public gets null for all but the prize, rank, score and winner."""

    id = fields.Integer()
    challenge_id = fields.Integer()
    prize_id = fields.Integer()
    submission_id = fields.Integer()
    status = fields.Enum(AwardStatus, by_value=True, allow_none=True)
    awarded_by = fields.Integer(allow_none=True)
    awarded_at = fields.AwareDateTime(allow_none=True)
    payout_reference = fields.String(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    team_split = fields.List(fields.Nested(SplitOut), allow_none=True)  # a team's shares, fixed at the award


class ResultSubmission(Schema):
    """The winning submission as the public sees it."""

    id = fields.Integer()
    title = fields.String()
    summary = fields.String()


class ResultOut(Schema):
    """A prize and who won it, with the winner's rank and score when the prize was awarded."""

    prize = fields.Nested(PrizeOut)
    rank = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    submission = fields.Nested(ResultSubmission, allow_none=True)
    participant = fields.Nested(UserRef, allow_none=True)
