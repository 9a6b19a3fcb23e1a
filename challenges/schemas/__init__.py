"""marshmallow schemas: request parsing, responses and the OpenAPI spec from one source."""
