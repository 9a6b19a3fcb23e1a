"""Webhooks: endpoints, their delivery log, and redelivery."""
from challenges.api.blueprint import Blueprint, no_body

from challenges.api.guards import guard
from challenges.auth import current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.webhooks import DeliveryOut, NewWebhookOut, WebhookIn, WebhookOut
from challenges.services import organisations, webhooks

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="Webhooks.")


@bp.post("/organisations/<id:organisation_id>/webhooks")
@login_required
@guard(organisations.managed)  # not idempotent: a replay would have to keep the secret in clear
@bp.arguments(WebhookIn)
@bp.response(201, NewWebhookOut)
def register_webhook(data, organisation_id):
    """Register an endpoint for some events (owners, managers), once per URL; the secret is shown this once."""
    return webhooks.register(current_user(), organisation_id, **data)


@bp.get("/organisations/<id:organisation_id>/webhooks")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(WebhookOut))
def list_webhooks(args, organisation_id):
    """An organisation's endpoints (owners, managers)."""
    return webhooks.for_organisation(current_user(), organisation_id, **args)


@bp.delete("/organisations/<id:organisation_id>/webhooks/<id:webhook_id>")
@login_required
@bp.response(204)
def delete_webhook(organisation_id, webhook_id):
    """Remove an endpoint (owners, managers)."""
    webhooks.delete(current_user(), organisation_id, webhook_id)


@bp.get("/webhooks/<id:webhook_id>/deliveries")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(DeliveryOut))
def list_deliveries(args, webhook_id):
    """An endpoint's delivery log, newest first (owners, managers)."""
    return webhooks.deliveries(current_user(), webhook_id, **args)


@bp.post("/deliveries/<id:delivery_id>/redeliver")
@login_required
@guard(webhooks.managed_delivery)
@no_body(bp)
@bp.response(202, DeliveryOut)
def redeliver(_body, delivery_id):
    """Send a delivery again now (owners, managers)."""
    return webhooks.redeliver(current_user(), delivery_id)
