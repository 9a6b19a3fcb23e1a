"""Answer keys, predictions files, quotas and final selections."""
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, post_load, validate, validates

from challenges.schemas.common import Schema, ident, name


class PredictionsForm(Schema):
    """The form fields sent with a predictions file."""

    title = name(200)
    accept_terms = fields.String(required=True, load_only=True)

    @validates("accept_terms")
    def _accepted(self, value, **kwargs):
        if value != "true":
            raise ValidationError(_("The challenge's terms must be accepted: send accept_terms=true."))

    @post_load
    def _drop_acceptance(self, data, **kwargs):
        """Acceptance is checked here; the service records it by joining the challenge."""
        data.pop("accept_terms")
        return data


class NoFields(Schema):
    """A file sent alone."""


class AnswerKeyOut(Schema):
    """What was stored of the answer key: never the key itself. For mae and rmse, predictions must lie between
    `prediction_min` and `prediction_max` (the key's range widened by its span on each side, rounded outward), for
    the organisation to announce; null for metrics whose predictions are labels or probabilities."""

    rows = fields.Integer()
    public_rows = fields.Integer()
    private_rows = fields.Integer()
    sha256 = fields.String()
    target = fields.String()
    metric = fields.String()
    prediction_min = fields.Float(allow_none=True)
    prediction_max = fields.Float(allow_none=True)
    uploaded_at = fields.AwareDateTime()


class QuotaOut(Schema):
    """What a participant may still submit, and when."""

    remaining_today = fields.Integer()
    remaining_total = fields.Integer(allow_none=True)
    next_slot_at = fields.AwareDateTime(allow_none=True)


class SelectionIn(Schema):
    """The submissions to count on the private leaderboard."""

    submission_ids = fields.List(ident(), required=True, validate=validate.Length(max=100))


class SelectionOut(Schema):
    """The participant's final selection."""

    submission_ids = fields.List(fields.Integer())
