"""URL converters: ids in paths stay within the database's integer range."""
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """An integer id in a path; reject_impossible_ids turns those out of range into a 404."""


def reject_impossible_ids(_endpoint, values: dict | None) -> None:
    """404 for ids the database cannot hold (matching the route first keeps 405 for wrong methods)."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise NotFound()


def id_schema(_converter) -> dict:
    """The OpenAPI schema of an id in a path."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
