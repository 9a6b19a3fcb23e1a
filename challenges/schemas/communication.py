"""Questions, answers, clarifications and announcements."""
from marshmallow import fields

from challenges.models import AnnouncementKind, Moderation
from challenges.schemas.common import Schema, UserRef, flag, name, text


class QuestionIn(Schema):
    """A question."""

    body = text(5000, required=True, min_length=1)


class AnswerIn(Schema):
    """An answer; official answers become clarifications."""

    body = text(10000, required=True, min_length=1)
    official = flag(load_default=False)


class AnswerOut(Schema):
    """The organisation's answer."""

    body = fields.String()
    official = fields.Boolean()
    answerer = fields.Nested(UserRef)
    answered_at = fields.AwareDateTime()
    moderation = fields.Enum(Moderation, by_value=True)


class QuestionOut(Schema):
    """A question and its answer (null until answered); `asker` is null to all but the asker, owners and
    managers while blind judging keeps participants unknown."""

    id = fields.Integer()
    challenge_id = fields.Integer()
    body = fields.String()
    asker = fields.Nested(UserRef, allow_none=True)
    answer = fields.Nested(AnswerOut, allow_none=True)
    created_at = fields.AwareDateTime()
    moderation = fields.Enum(Moderation, by_value=True)


class AnnouncementIn(Schema):
    """A message to a challenge's participants."""

    title = name(200)
    body = text(10000, required=True, min_length=1)


class AnnouncementOut(Schema):
    """An announcement; `kind` says whether a member wrote it or a deadline extension or cancellation did."""

    id = fields.Integer()
    challenge_id = fields.Integer()
    kind = fields.Enum(AnnouncementKind, by_value=True)
    title = fields.String()
    body = fields.String()
    author_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
