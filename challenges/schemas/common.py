"""Building blocks shared by the schemas: strict fields, pages, references to users."""
from collections.abc import Mapping
from datetime import UTC

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, pre_load, validate

MAX_INT = 2**31 - 1


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, and so are strings no database can store."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @pre_load
    def _storable_strings(self, data, **kwargs):
        if isinstance(data, Mapping):
            bad = {key: [_("Contains NUL or unpaired surrogate characters.")]
                   for key, value in data.items() if not (_storable(key) and _storable(value))}
            if bad:
                raise ValidationError(bad)
        return data


def _storable(value) -> bool:
    """Whether every string inside value is valid UTF-8 text without NUL."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs) -> fields.String:
    """A string with a documented maximum length."""
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


class Trimmed(fields.String):
    """A string without leading or trailing whitespace (checked for length after trimming)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def name(max_length: int, **kwargs) -> Trimmed:
    """A required one-line name or title, trimmed, never blank."""
    return Trimmed(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)


def reason() -> fields.String:
    """A required, non-empty explanation."""
    return text(2000, required=True, min_length=1)


def ident(**kwargs) -> fields.Integer:
    """An integer id within the database's range."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_INT), **kwargs)


class UTCDateTime(fields.AwareDateTime):
    """An ISO 8601 timestamp with an offset, loaded as UTC, the zone every time is kept and shown in."""

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        try:
            return loaded.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_("Out of range once converted to UTC.")) from None


def when(**kwargs) -> fields.AwareDateTime:
    """An ISO 8601 timestamp with an offset, in UTC once loaded; naive input is rejected."""
    return UTCDateTime(format="iso", **kwargs)


class StrictFloat(fields.Float):
    """A JSON number: a string that looks like one is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def number(**kwargs) -> StrictFloat:
    """A finite JSON number."""
    return StrictFloat(**kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: 1 and 0 are numbers, not booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def flag(**kwargs) -> StrictBoolean:
    """A JSON boolean: true or false, nothing else."""
    return StrictBoolean(**kwargs)


class UserRef(Schema):
    """A user as others see them."""

    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)


class TeamRef(Schema):
    """A team as others see it."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)


class Problem(Schema):
    """An error, as application/problem+json (RFC 9457)."""

    type = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    status = fields.Integer(dump_only=True)
    detail = fields.String(dump_only=True)
    # field -> ["message", ...]; a field with parts (a list or an object) nests the same shape under it
    errors = fields.Dict(keys=fields.String(), dump_only=True)


class PageArgs(Schema):
    """?limit= and ?cursor= of every list."""

    class Meta:
        unknown = ma.EXCLUDE

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None)


class ReasonIn(Schema):
    """A reason for a decision."""

    reason = reason()


_PAGES: dict = {}


def page_of(schema: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of items: {items, next_cursor}."""
    if schema not in _PAGES:
        name = schema.__name__.removesuffix("Out") + "Page"
        _PAGES[schema] = type(name, (Schema,), {
            "items": fields.List(fields.Nested(schema), dump_only=True),
            "next_cursor": fields.String(allow_none=True, dump_only=True),
        })
    return _PAGES[schema]
