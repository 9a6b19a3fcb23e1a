"""Organisations, members and the audit log."""
from marshmallow import fields, validate

from challenges.models import Moderation, OrganisationInvitationStatus, Role
from challenges.schemas.accounts import LowerEmail
from challenges.schemas.common import Schema, UserRef, name, text
from challenges.schemas.teams import InvitationOut


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
    """A member's new role (newcomers join by invitation)."""

    role = fields.Enum(Role, by_value=True, required=True)


class OrganisationInvitationIn(Schema):
    """Whom to invite, by email (an account may not exist yet), and to which role."""

    email = LowerEmail(required=True, validate=validate.Length(max=254))
    role = fields.Enum(Role, by_value=True, required=True)


class OrganisationInvitationOut(Schema):
    """An invitation to an organisation; `expires_at` 14 days after it was made."""

    id = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)
    status = fields.Enum(OrganisationInvitationStatus, by_value=True, dump_only=True)
    invited_by = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    expires_at = fields.AwareDateTime(dump_only=True)
    answered_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class CreatedInvitationOut(OrganisationInvitationOut):
    """A new invitation; `token` only on an instance that sends no email (no SMTP_URL), for the owner to pass on."""

    token = fields.String(dump_only=True, allow_none=True)


class MyInvitationOut(Schema):
    """One of the caller's pending invitations: `kind` says which of the two others is set."""

    kind = fields.String(dump_only=True, metadata={"enum": ["team", "organisation"]})
    team_invitation = fields.Nested(InvitationOut, dump_only=True, allow_none=True)
    organisation_invitation = fields.Nested(OrganisationInvitationOut, dump_only=True, allow_none=True)


class AuditEntryOut(Schema):
    """One entry of the audit log."""

    id = fields.Integer(dump_only=True)
    at = fields.AwareDateTime(dump_only=True)
    actor = fields.Nested(UserRef, allow_none=True, dump_only=True)
    action = fields.String(dump_only=True)
    object_type = fields.String(dump_only=True)
    object_id = fields.Integer(dump_only=True)
    details = fields.Dict(dump_only=True)
