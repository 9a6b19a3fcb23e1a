"""Users, sign-in tokens and the signed-in user."""
from marshmallow import fields, validate

from challenges.models import Role
from challenges.schemas.common import Schema, name, text


class LowerEmail(fields.Email):
    """An email address, trimmed and lower-cased before its length is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class UserIn(Schema):
    """Registration."""

    email = LowerEmail(required=True, validate=validate.Length(max=254))
    password = text(1024, required=True, min_length=10)
    display_name = name(100)


class UserOut(Schema):
    """A user as others see them."""

    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class MembershipRef(Schema):
    """A role in an organisation."""

    organisation_id = fields.Integer(dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)


class MeOut(UserOut):
    """The signed-in user, with their email and roles."""

    email = fields.String(dump_only=True)
    is_admin = fields.Boolean(dump_only=True)
    email_notifications = fields.Boolean(dump_only=True)
    memberships = fields.List(fields.Nested(MembershipRef), dump_only=True)


class TokenIn(Schema):
    """Sign-in credentials."""

    email = fields.String(required=True, validate=validate.Length(max=254))
    password = text(1024, required=True)


class TokenOut(Schema):
    """A new bearer token; shown this once."""

    token = fields.String(dump_only=True)
    expires_at = fields.AwareDateTime(dump_only=True)
