"""Submissions and their receipts."""
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate, validates

from challenges.models import EvaluationStatus, Moderation, SubmissionStatus
from challenges.models.scoring import EvaluationFault
from challenges.schemas.common import Schema, TeamRef, Trimmed, UserRef, flag, name, text


class SubmissionPatch(Schema):
    """Changes to a submission's content."""

    title = Trimmed(validate=validate.Length(min=1, max=200))
    summary = text(1000)
    body = text(200_000)
    links = fields.List(fields.URL(schemes={"http", "https"}, validate=validate.Length(max=2000)),
                        validate=validate.Length(max=20))


class SubmissionIn(SubmissionPatch):
    """A new submission; the title is required and the terms must be accepted."""

    title = name(200)
    accept_terms = flag(required=True, load_only=True)

    @validates("accept_terms")
    def _accepted(self, value, **kwargs):
        if value is not True:
            raise ValidationError(_("The challenge's terms must be accepted."))


class EvaluationOut(Schema):
    """The scoring of a predictions file; the private score after the deadline (members) or finalisation. Scores
    are rounded to 6 significant digits and ranked as shown. A failure's `fault` is `ours` (the submission does not
    count toward the limits) or `participant` (the predictions defeated the metric: it counts)."""

    status = fields.Enum(EvaluationStatus, by_value=True)
    public_score = fields.Float(allow_none=True)
    private_score = fields.Float(allow_none=True)
    error = fields.String(allow_none=True)
    fault = fields.Enum(EvaluationFault, by_value=True, allow_none=True)  # null unless failed


class SubmissionOut(Schema):
    """A submission with its receipt fields (id, submitted_at, content_sha256, revision)."""

    id = fields.Integer()
    challenge_id = fields.Integer()
    participant = fields.Nested(UserRef, allow_none=True)  # null to a judge of a blind challenge
    team = fields.Nested(TeamRef, allow_none=True)  # the team it belongs to; null to blind judges too
    title = fields.String()
    summary = fields.String()
    body = fields.String()
    links = fields.List(fields.String())
    status = fields.Enum(SubmissionStatus, by_value=True)
    disqualification_reason = fields.String(allow_none=True)
    shortlisted = fields.Boolean()
    submitted_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    content_sha256 = fields.String()
    revision = fields.Integer()
    evaluation = fields.Nested(EvaluationOut, allow_none=True)  # scored challenges only
    moderation = fields.Enum(Moderation, by_value=True)
