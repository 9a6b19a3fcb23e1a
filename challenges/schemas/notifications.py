"""In-app notifications."""
from marshmallow import fields

from challenges.schemas.common import Schema


class NotificationOut(Schema):
    """A notification, named like the event that caused it."""

    id = fields.Integer()
    kind = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    data = fields.Dict()
