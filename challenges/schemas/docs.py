"""The service's index: where its documentation and its spec are."""
from marshmallow import fields

from challenges.schemas.common import Schema


class IndexOut(Schema):
    """What `/` answers: the service's name, the API version, and links to the docs and the spec."""

    name = fields.String(required=True)
    version = fields.String(required=True)
    docs = fields.String(required=True, metadata={"description": "The API documentation, a page for browsers."})
    openapi = fields.String(required=True, metadata={"description": "The OpenAPI 3 spec, JSON."})
