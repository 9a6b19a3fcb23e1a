"""Registering for a challenge: the form's questions, a registration and the organisation's decisions."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates, validates_schema

from challenges.models import RegistrationStatus
from challenges.schemas.common import PageArgs, Schema, UserRef, flag, name, text

QUESTION_TYPES = ("text", "choice", "boolean", "country")
MAX_TEXT_ANSWER = 2000


class Question(Schema):
    """One question of a registration form; `choices` only, and always, for a choice."""

    id = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,39}$", error=_l("Lower-case letters, digits and _, starting with a letter (40 at most).")))
    label = name(200)
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    required = flag(load_default=False)
    choices = fields.List(name(100), validate=validate.Length(min=1, max=50))

    @validates_schema
    def _choices(self, data, **kwargs):
        if (data.get("type") == "choice") != ("choices" in data):
            raise ValidationError(_("A choice question, and only one, lists its choices."), "choices")
        if len(set(data.get("choices", ()))) != len(data.get("choices", ())):
            raise ValidationError(_("Choices must differ."), "choices")


def registration_form(**kwargs) -> fields.List:
    """A challenge's registration form: up to 20 questions with distinct ids."""
    return fields.List(fields.Nested(Question), validate=[validate.Length(max=20), _distinct_ids], **kwargs)


def _distinct_ids(questions: list) -> None:
    if len({question["id"] for question in questions}) != len(questions):
        raise ValidationError(_("Question ids must differ."))


class Answer(fields.Field):
    """An answer to one question: a string (text, choice, country) or a boolean; checked against the form later."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, str) and len(value) <= MAX_TEXT_ANSWER):
            return value
        raise ValidationError(_("A string of at most %(max)d characters, or a boolean.", max=MAX_TEXT_ANSWER))


class RegistrationIn(Schema):
    """Registering: accepting the current terms, with the answers to the challenge's form."""

    accept_terms = flag(required=True, load_only=True)
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), values=Answer(),
                          validate=validate.Length(max=20), load_default=dict)

    @validates("accept_terms")
    def _accepted(self, value, **kwargs):
        if value is not True:
            raise ValidationError(_("The challenge's terms must be accepted."))


class RegistrationOut(Schema):
    """A registration, as its registrant and the organisation see it."""

    challenge_id = fields.Integer(dump_only=True)
    user = fields.Nested(UserRef, dump_only=True)
    status = fields.Enum(RegistrationStatus, by_value=True, dump_only=True)
    terms_version = fields.Integer(dump_only=True)
    accepted_at = fields.AwareDateTime(dump_only=True)
    answers = fields.Dict(dump_only=True)
    decided_at = fields.AwareDateTime(allow_none=True, dump_only=True)
    refusal_reason = fields.String(allow_none=True, dump_only=True)


class RegistrationListArgs(PageArgs):
    """Paging of a challenge's registrations, and a filter by status."""

    status = fields.Enum(RegistrationStatus, by_value=True)


class RefusalIn(Schema):
    """Why a registration is refused (optional)."""

    reason = text(2000, load_default=None, allow_none=True)
