"""Users, sign-in tokens, the signed-in user and their settings, passwords and links sent by email."""
from functools import cache
from zoneinfo import available_timezones

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate, validates_schema

from challenges.i18n import LANGUAGES
from challenges.models import Role
from challenges.schemas.common import Schema, Trimmed, flag, name, text

PASSWORD_MIN_LENGTH = 10


class LowerEmail(fields.Email):
    """An email address, trimmed and lower-cased before its length is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class UserIn(Schema):
    """Registration."""

    email = LowerEmail(required=True, validate=validate.Length(max=254))
    password = text(1024, required=True, min_length=PASSWORD_MIN_LENGTH)
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
    email_verified = fields.Boolean(dump_only=True)
    pending_email = fields.String(dump_only=True, allow_none=True)
    is_admin = fields.Boolean(dump_only=True)
    email_notifications = fields.Boolean(dump_only=True)
    locale = fields.String(dump_only=True, allow_none=True)
    time_zone = fields.String(dump_only=True, allow_none=True)
    memberships = fields.List(fields.Nested(MembershipRef), dump_only=True)


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(_("Not a time zone name of the IANA database, such as Europe/Paris."))


class MeIn(Schema):
    """The signed-in user's settings; every field is optional, and a new email needs the current password."""

    display_name = Trimmed(validate=validate.Length(min=1, max=100))
    email = LowerEmail(validate=validate.Length(max=254))
    current_password = text(1024)
    locale = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES))
    time_zone = fields.String(allow_none=True, validate=[validate.Length(max=64), _time_zone])
    email_notifications = flag()

    @validates_schema
    def _password_with_email(self, data, **kwargs):
        if "email" in data and "current_password" not in data:
            raise ValidationError(_("Give your current password to change your email."), "current_password")


class PasswordChangeIn(Schema):
    """The current password and a new one."""

    current_password = text(1024, required=True)
    new_password = text(1024, required=True, min_length=PASSWORD_MIN_LENGTH)


class ErasureIn(Schema):
    """The current password, to confirm that the account's holder asks for its erasure."""

    current_password = text(1024, required=True)


class PasswordResetRequestIn(Schema):
    """The address of the account whose password is forgotten."""

    email = LowerEmail(required=True, validate=validate.Length(max=254))


class PasswordResetIn(Schema):
    """A new password."""

    new_password = text(1024, required=True, min_length=PASSWORD_MIN_LENGTH)


class AcceptedOut(Schema):
    """A request taken in, whose outcome is not told."""

    detail = fields.String(dump_only=True)


class TokenIn(Schema):
    """Sign-in credentials."""

    email = fields.String(required=True, validate=validate.Length(max=254))
    password = text(1024, required=True)


class TokenOut(Schema):
    """A new bearer token; shown this once."""

    token = fields.String(dump_only=True)
    expires_at = fields.AwareDateTime(dump_only=True)
