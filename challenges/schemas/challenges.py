"""Challenges, prizes, evaluation settings and browsing."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from iso4217 import Currency
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from challenges.models import Evaluation, Moderation, Phase, RegistrationMode, Status
from challenges.schemas.common import MAX_INT, Schema, flag, ident, name, number, text, when
from challenges.schemas.registrations import registration_form

CURRENCIES = sorted(c.code for c in Currency if c.code not in ("XXX", "XTS"))
METRICS = ["accuracy", "f1_macro", "mae", "rmse", "log_loss", "roc_auc"]
MAX_AMOUNT = 10**13  # 100 billion in a two-decimal currency


class Money(Schema):
    """An amount in minor units of an ISO 4217 currency."""

    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT))
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES, error=_l("Not an ISO 4217 currency.")))


class PrizeSchema(Schema):
    """A prize; its rank is its place in the list."""

    id = ident(allow_none=True)
    rank = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    title = name(200)
    reward = fields.Nested(Money, allow_none=True, load_default=None)
    description = text(5000)


class JudgingSettings(Schema):
    """How judges' reviews are combined."""

    blind = flag(load_default=False)
    normalise = flag(load_default=False)
    allow_unassigned = flag(load_default=True)
    disagreement_threshold = number(load_default=0.25, validate=validate.Range(min=0, max=1))


class ScoringSettings(Schema):
    """How predictions are scored against the hidden key."""

    metric = fields.String(required=True, validate=validate.OneOf(METRICS))
    public_fraction = number(load_default=0.3, validate=validate.Range(min=0, max=1, min_inclusive=False,
                                                                             max_inclusive=False))
    max_daily_submissions = fields.Integer(strict=True, load_default=5, validate=validate.Range(min=1, max=1000))
    final_selection_limit = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1, max=100))


class Tag(fields.String):
    """A tag, trimmed and lower-cased."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class ChallengeIn(Schema):
    """A new challenge (a draft)."""

    organisation_id = ident(required=True)
    title = name(200)
    summary = text(1000)
    description = text(100_000)
    rules = text(100_000)
    ip_terms = text(50_000)
    tags = fields.List(Tag(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20))
    opens_at = when(allow_none=True)
    closes_at = when(required=True)
    evaluation = fields.Enum(Evaluation, by_value=True)
    max_submissions_per_participant = fields.Integer(
        strict=True, allow_none=True, load_default=1, validate=validate.Range(min=1, max=100_000))
    max_team_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    team_merge_deadline = when(allow_none=True)
    publish_winning_submissions = flag()
    judging = fields.Nested(JudgingSettings, allow_none=True)
    scoring = fields.Nested(ScoringSettings, allow_none=True)
    prizes = fields.List(fields.Nested(PrizeSchema), validate=validate.Length(max=50))
    registration = fields.Enum(RegistrationMode, by_value=True)
    registration_closes_at = when(allow_none=True)
    registration_form = registration_form()

    @validates_schema
    def _check(self, data, **kwargs):
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and opens_at >= closes_at:
            raise ValidationError(_("opens_at must be before closes_at."), "opens_at")
        for rank, prize in enumerate(data.get("prizes") or [], start=1):
            if prize.get("rank", rank) != rank:
                raise ValidationError(_("A prize's rank is its place in the list."), "prizes")

    @post_load
    def _settings(self, data, **kwargs):
        """A new challenge carries the settings of its evaluation mode, and only those."""
        if kwargs.get("partial"):
            return data
        scored = data.get("evaluation") is Evaluation.SCORED
        if scored and not data.get("scoring"):
            raise ValidationError(_("A scored challenge needs scoring settings."), "scoring")
        if data.get("judging" if scored else "scoring"):
            raise ValidationError(_("These settings belong to the other evaluation mode."),
                                  "judging" if scored else "scoring")
        return data


class ChallengePatch(ChallengeIn):
    """Changes to a challenge; prizes are the whole list (existing ones by id)."""

    organisation_id = ident(dump_only=True)

    def __init__(self, **kwargs):
        # Partial at the top level only: a prize in the list still needs its title.
        super().__init__(partial=tuple(ChallengeIn._declared_fields), **kwargs)


class PrizeOut(Schema):
    """A prize as shown."""

    id = fields.Integer(dump_only=True)
    rank = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    reward = fields.Dict(allow_none=True, dump_only=True)
    description = fields.String(dump_only=True)


class ChallengeOut(Schema):
    """A challenge with its derived phase."""

    id = fields.Integer()
    organisation_id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    description = fields.String()
    rules = fields.String()
    tags = fields.List(fields.String())
    status = fields.Enum(Status, by_value=True)
    phase = fields.Enum(Phase, by_value=True)
    opens_at = fields.AwareDateTime(allow_none=True)
    closes_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)
    finalised_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    evaluation = fields.Enum(Evaluation, by_value=True)
    max_submissions_per_participant = fields.Integer(allow_none=True)
    max_team_size = fields.Integer()
    team_merge_deadline = fields.AwareDateTime(allow_none=True)
    ip_terms = fields.String()
    terms_version = fields.Integer()
    publish_winning_submissions = fields.Boolean()
    judging = fields.Dict(allow_none=True)
    scoring = fields.Dict(allow_none=True)
    prizes = fields.List(fields.Nested(PrizeOut))
    submission_count = fields.Integer()
    registration = fields.Enum(RegistrationMode, by_value=True)
    registration_closes_at = fields.AwareDateTime(allow_none=True)
    registration_form = fields.List(fields.Dict())
    registration_count = fields.Integer(metadata={"description": "Approved registrations, by submitting included."})
    pending_registration_count = fields.Integer(metadata={"description": "Registrations awaiting approval."})
    moderation = fields.Enum(Moderation, by_value=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ChallengeSummaryOut(ChallengeOut):
    """A challenge as lists show it: the long texts (description, rules, IP terms) are the detail's."""

    class Meta:
        exclude = ("description", "rules", "ip_terms")


class ChallengeListArgs(Schema):
    """Filters and sort of the challenge list."""

    class Meta:
        unknown = "exclude"

    phase = fields.Enum(Phase, by_value=True)
    organisation_id = fields.Integer(validate=validate.Range(min=1, max=MAX_INT))
    tag = text(40)
    q = text(200, metadata={"description": (
        "Search the title, summary, tags and description, regardless of case, accents and ligatures (\"prevision\" "
        "finds \"Prévision\"): a challenge matches when the query appears in them, part of a word included, or, on "
        "PostgreSQL, when each of its words does in any form of the word in English or French (\"forecasting\" finds "
        "\"forecast\", \"prévisions\" finds \"prévision\"). Plain words: no operators.")})
    sort = fields.String(load_default="-created_at",
                         validate=validate.OneOf(["-created_at", "closes_at", "-prize_total"]))
