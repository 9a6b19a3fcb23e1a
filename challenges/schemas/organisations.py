"""Organisations, members and the audit log."""
from marshmallow import fields, validate

from challenges.models import Moderation, Role
from challenges.schemas.accounts import LowerEmail
from challenges.schemas.common import Schema, UserRef, name, text


class OrganisationIn(Schema):
    """A new organisation."""

    name = name(200)
    description = text(10000)
    website = fields.URL(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=500))


class OrganisationPatch(OrganisationIn):
    """Changes to an organisation (loaded partially)."""


class OrganisationOut(Schema):
    """An organisation; while held or hidden, its name, description and website are for its members only."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    website = fields.String(dump_only=True, allow_none=True)
    moderation = fields.Enum(Moderation, by_value=True, dump_only=True, metadata={"description": (
        "`held` (likely spam, waiting for review) or `hidden` (by a platform admin): only members and platform admins "
        "read the name, description and website; others read \"Organisation <id>\", \"\" and null, and challenges "
        "drafted meanwhile are held.")})
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class MemberOut(Schema):
    """A member and their role."""

    user_id = fields.Integer(dump_only=True)
    display_name = fields.Function(lambda member: member.user.display_name, dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)


class RoleIn(Schema):
    """The role to give; to add someone who is not a member yet, their email too (an id alone adds no one)."""

    role = fields.Enum(Role, by_value=True, required=True)
    email = LowerEmail(validate=validate.Length(max=254))  # must be the email of the account with this id


class AuditEntryOut(Schema):
    """One entry of the audit log."""

    id = fields.Integer(dump_only=True)
    at = fields.AwareDateTime(dump_only=True)
    actor = fields.Nested(UserRef, allow_none=True, dump_only=True)
    action = fields.String(dump_only=True)
    object_type = fields.String(dump_only=True)
    object_id = fields.Integer(dump_only=True)
    details = fields.Dict(dump_only=True)
