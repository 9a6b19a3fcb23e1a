"""Teams, invitations, merges and the prize split."""
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate, validates_schema

from challenges.models import InvitationStatus, Moderation
from challenges.schemas.common import MAX_INT, Schema, ident, name
from challenges.schemas.accounts import LowerEmail


class TeamIn(Schema):
    """A new team's name."""

    name = name(100)


class TeamMemberOut(Schema):
    """A member of a team."""

    user_id = fields.Integer()
    display_name = fields.String()
    joined_at = fields.AwareDateTime()


class SplitOut(Schema):
    """A member's weight and share of a prize."""

    user_id = fields.Integer()
    weight = fields.Integer()
    share = fields.Float()


class TeamOut(Schema):
    """A team, its members (longest-standing first) and its split; while held or hidden, its name is for its members."""

    id = fields.Integer()
    challenge_id = fields.Integer()
    name = fields.String()
    moderation = fields.Enum(Moderation, by_value=True, metadata={"description": (
        "`held` (likely spam, waiting for review) or `hidden` (by a platform admin): only the team's members and "
        "platform admins read its name, here; everyone else, and every other read, notification, email and export, "
        "calls it \"Team <id>\".")})
    captain_id = fields.Integer()
    members = fields.List(fields.Nested(TeamMemberOut))
    split = fields.List(fields.Nested(SplitOut))
    created_at = fields.AwareDateTime()


class InvitationIn(Schema):
    """Whom to invite: a user id or an email, one of the two."""

    user_id = ident()
    email = LowerEmail(validate=validate.Length(max=254))

    @validates_schema
    def _one_of(self, data, **kwargs):
        if ("user_id" in data) == ("email" in data):
            raise ValidationError(_("Give either user_id or email."), "user_id")


class InvitationOut(Schema):
    """An invitation to a team."""

    id = fields.Integer()
    team_id = fields.Integer()
    user_id = fields.Integer()
    invited_by = fields.Integer()
    status = fields.Enum(InvitationStatus, by_value=True)
    created_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)


class MergeIn(Schema):
    """The team to merge with."""

    team_id = ident(required=True)


class SplitIn(Schema):
    """Positive integer weights for every member, keyed by user id (0 is refused); share = weight / sum."""

    weights = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$")),
                          values=fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_INT)),
                          required=True, validate=validate.Length(min=1, max=100))
