"""Opaque keyset cursors: pages stay stable under inserts and cost the same at any depth."""
import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, Select, SmallInteger, column, literal, tuple_

from challenges.errors import BadRequest
from challenges.extensions import db


@dataclass
class Page:
    """One page of results and the cursor of the next (None on the last page)."""

    items: list[Any]
    next_cursor: str | None


def _encode(keys: list, values: list) -> str:
    return _encode_named([key.key for key in keys], values)


def _encode_named(names: list[str], values: list) -> str:
    payload = {"k": names, "v": [_plain(v) for v in values]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


MAX_CURSOR_LENGTH = 1000
INTEGER_BITS = ((BigInteger, 64), (SmallInteger, 16))  # PostgreSQL's sizes; any other integer column has 32 bits


def position(keys: list, cursor: str) -> list:
    """The key values a cursor made for these keys holds, as SQL literals; 400 for any other cursor."""
    return _decode(keys, cursor)


def _decode(keys: list, cursor: str) -> list:
    """The key values of a cursor made for these keys, typed as the columns; 400 for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("cursor too long")
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload["k"] != [key.key for key in keys] or len(payload["v"]) != len(keys):
            raise ValueError("cursor of another list")
        return [literal(_typed(key, value), key.type) for key, value in zip(keys, payload["v"], strict=True)]
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(_("The cursor is not valid for this list.")) from None


def _typed(key, value):
    """A cursor's value for a key, checked to fit the key's column as PostgreSQL types it (SQLite would take
    anything, PostgreSQL fails on a value out of range); ValueError otherwise."""
    python_type = key.type.python_type
    if python_type is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime in cursor")
        return parsed.astimezone(UTC)  # OverflowError beyond the years 1 to 9999
    if python_type is int:
        bits = next((bits for kind, bits in INTEGER_BITS if isinstance(key.type, kind)), 32)
        if type(value) is not int or not -2 ** (bits - 1) <= value < 2 ** (bits - 1):
            raise ValueError("not an integer of the column's size")
        return value
    if python_type is float:
        if type(value) not in (int, float) or not math.isfinite(number := float(value)):  # float() may overflow
            raise ValueError("not a finite number")
        return number
    raise ValueError("no cursor holds this kind of value")


def paginate(query: Select, keys: list, limit: int, cursor: str | None, descending: bool = False,
             values=None) -> Page:
    """Run a keyset-paginated query ordered by keys (together unique); values(item) gives an item's keys.
    A query of one entity or column gives its objects; a query of several columns gives rows."""
    return _page(query, keys, limit, _decode(keys, cursor) if cursor else None, descending, values)


# In a ranking's cursor, beside the keys: how many items came before the page it leads to.
REACHED = column("reached", Integer)


def paginate_ranked(query: Select, keys: list, limit: int, cursor: str | None) -> tuple[Page, int]:
    """A keyset page of a ranking (ascending keys) and how many items came before it, which the cursor carries:
    ranks go on from page to page without counting the items ahead (a change between two pages shifts them)."""
    position, reached = None, 0
    if cursor:
        *position, reached_literal = _decode([*keys, REACHED], cursor)
        if reached_literal.value < 0:
            raise BadRequest(_("The cursor is not valid for this list."))
        reached = reached_literal.value
    return _page(query, keys, limit, position, tail={REACHED: reached + limit}), reached


def _page(query: Select, keys: list, limit: int, position: list | None, descending: bool = False, values=None,
          tail: dict | None = None) -> Page:
    """The page after a position (None: the first), and a cursor holding the last item's keys and the tail's."""
    if position:
        query = query.where(tuple_(*keys) < tuple_(*position) if descending else tuple_(*keys) > tuple_(*position))
    order = [key.desc() if descending else key.asc() for key in keys]
    result = db.session.execute(query.order_by(*order).limit(limit + 1))
    rows = (result.scalars() if len(query.column_descriptions) == 1 else result).all()
    if len(rows) <= limit:
        return Page(list(rows), None)
    last = rows[limit - 1]
    last_values = values(last) if values else [getattr(last, key.key) for key in keys]
    tail = tail or {}
    return Page(list(rows[:limit]), _encode([*keys, *tail], [*last_values, *tail.values()]))
