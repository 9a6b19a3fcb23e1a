"""URL converters: ids in paths stay within the database's integer range."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """A positive integer id; anything larger than the database can hold matches no route."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def id_schema(_converter) -> dict:
    """The OpenAPI schema of an id in a path."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
