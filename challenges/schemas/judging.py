"""Rubrics, assignments, reviews, conflicts of interest and leaderboards."""
from marshmallow import fields, validate

from challenges.models.judging import MAX_CRITERIA
from challenges.schemas.common import Schema, TeamRef, UserRef, ident, name, number, text


class CriterionIn(Schema):
    """A criterion of the rubric; existing ones keep their id."""

    id = ident(allow_none=True)
    name = name(200)
    description = text(5000)
    weight = number(required=True, validate=validate.Range(min=0, max=1000, min_inclusive=False))
    max_score = number(required=True, validate=validate.Range(min=0, max=1_000_000, min_inclusive=False))


class CriterionOut(Schema):
    """A criterion as members see it."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    weight = fields.Float()
    max_score = fields.Float()


class AssignIn(Schema):
    """How many judges review each submission."""

    judges_per_submission = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50))


class AssignmentOut(Schema):
    """A judge asked to review a submission."""

    judge_id = fields.Integer()
    submission_id = fields.Integer()


class ReviewIn(Schema):
    """A judge's scores, by criterion id, and an optional comment."""

    scores = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=20)),
                         values=number(required=True), required=True, validate=validate.Length(max=MAX_CRITERIA))
    comment = text(10_000)


class ReviewOut(Schema):
    """A review and the weighted score (0 to 1) it adds up to."""

    id = fields.Integer()
    submission_id = fields.Integer()
    judge = fields.Nested(UserRef)
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    comment = fields.String()
    weighted_score = fields.Float()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ConflictOut(Schema):
    """A declared conflict of interest."""

    submission_id = fields.Integer()
    judge_id = fields.Integer()
    reason = fields.String()
    declared_at = fields.AwareDateTime()


class LeaderboardArgs(Schema):
    """Which leaderboard of a scored challenge; judged challenges have one, for members."""

    class Meta:
        unknown = "exclude"

    board = fields.String(load_default="public", validate=validate.OneOf(["public", "private"]))


class EntrySubmission(Schema):
    """The ranked submission."""

    id = fields.Integer()
    title = fields.String()


class LeaderboardEntryOut(Schema):
    """A place on a leaderboard. Judged: submission, reviews, disagreement, shortlisted.
    Scored: participant, submission_id, submitted_at."""

    rank = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)
    submission = fields.Nested(EntrySubmission)
    reviews = fields.Integer()
    disagreement = fields.Boolean()
    shortlisted = fields.Boolean()
    participant = fields.Nested(UserRef)
    team = fields.Nested(TeamRef, allow_none=True)
    submission_id = fields.Integer()
    submitted_at = fields.AwareDateTime()
