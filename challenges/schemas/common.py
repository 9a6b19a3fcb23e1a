"""Building blocks shared by the schemas: strict fields, pages, references to users."""
import marshmallow as ma
from marshmallow import fields, validate

MAX_INT = 2**31 - 1


class Schema(ma.Schema):
    """Base schema: unknown fields are an error."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs) -> fields.String:
    """A string with a documented maximum length."""
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


def reason() -> fields.String:
    """A required, non-empty explanation."""
    return text(2000, required=True, min_length=1)


def ident(**kwargs) -> fields.Integer:
    """An integer id within the database's range."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_INT), **kwargs)


def when(**kwargs) -> fields.AwareDateTime:
    """An ISO 8601 timestamp with an offset; naive input is rejected."""
    return fields.AwareDateTime(format="iso", **kwargs)


class UserRef(Schema):
    """A user as others see them."""

    id = fields.Integer(dump_only=True)
    display_name = fields.String(dump_only=True)


class PageArgs(Schema):
    """?limit= and ?cursor= of every list."""

    class Meta:
        unknown = ma.EXCLUDE

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=1000))


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
