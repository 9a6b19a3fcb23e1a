"""Webhooks and their deliveries."""
from marshmallow import fields, validate

from challenges.models import EVENT_TYPES, DeliveryStatus
from challenges.schemas.common import Schema, text


class WebhookIn(Schema):
    """An endpoint and the events it wants."""

    url = text(2000, required=True, min_length=1)
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)))


class WebhookOut(Schema):
    """A registered endpoint."""

    id = fields.Integer()
    organisation_id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class NewWebhookOut(WebhookOut):
    """A new endpoint with its signing secret, shown this once."""

    secret = fields.String()


class DeliveryOut(Schema):
    """One event sent to one endpoint."""

    id = fields.Integer()
    event = fields.Function(lambda delivery: delivery.event.type)
    event_id = fields.Integer()
    status = fields.Enum(DeliveryStatus, by_value=True)
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
