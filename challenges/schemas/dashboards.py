"""The signed-in user's own lists: their submissions across challenges, and the prizes they won."""
from marshmallow import fields, validate

from challenges.models import SubmissionStatus
from challenges.schemas.awards import AwardOut
from challenges.schemas.challenges import PrizeOut
from challenges.schemas.common import MAX_INT, PageArgs, Schema


class MySubmissionsArgs(PageArgs):
    """Filters of the caller's submissions."""

    challenge_id = fields.Integer(validate=validate.Range(min=1, max=MAX_INT))
    status = fields.Enum(SubmissionStatus, by_value=True)


class ChallengeRef(Schema):
    """The challenge a prize was won in."""

    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)


class MyAwardOut(AwardOut):
    """An award as its winner sees it: the payout, the prize and the challenge."""

    prize = fields.Nested(PrizeOut, dump_only=True)
    challenge = fields.Nested(ChallengeRef, attribute="submission.challenge", dump_only=True)
