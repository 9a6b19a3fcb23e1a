"""Flags, the moderation queue, decisions and suspensions."""
from marshmallow import fields, validate

from challenges.models import Moderation, ObjectType
from challenges.schemas.common import Schema, UserRef, ident, reason, text


class FlagIn(Schema):
    """What is flagged, and why."""

    object_type = fields.Enum(ObjectType, by_value=True, required=True)
    object_id = ident(required=True)
    reason = reason()


class FlagOut(Schema):
    """A flag."""

    id = fields.Integer()
    object_type = fields.Enum(ObjectType, by_value=True)
    object_id = fields.Integer()
    reason = fields.String()
    created_at = fields.AwareDateTime()


class CaseOut(Schema):
    """Held or flagged content waiting for a decision."""

    object_type = fields.Enum(ObjectType, by_value=True)
    object_id = fields.Integer()
    moderation = fields.Enum(Moderation, by_value=True, allow_none=True)
    reasons = fields.List(fields.String())
    flags = fields.Integer()
    author = fields.Nested(UserRef, allow_none=True)
    excerpt = fields.String()
    opened_at = fields.AwareDateTime()


class DecisionIn(Schema):
    """A platform admin's decision."""

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "hide", "restore"]))
    note = text(2000)


class DecisionOut(Schema):
    """The content's new state."""

    object_type = fields.Enum(ObjectType, by_value=True)
    object_id = fields.Integer()
    moderation = fields.Enum(Moderation, by_value=True)


class SuspensionIn(Schema):
    """Why a user is suspended."""

    reason = reason()


class SuspendedUserOut(Schema):
    """A suspended user."""

    id = fields.Integer()
    display_name = fields.String()
    suspended_at = fields.AwareDateTime(allow_none=True)
    suspension_reason = fields.String(allow_none=True)
