"""Column types shared by the models: aware UTC datetimes and checked enums."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC on every database, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_class, name: str | None = None) -> Enum:
    """A string column holding an enum's values, with a CHECK constraint (named `name`, or after the enum)
    on every database."""
    return Enum(
        enum_class, native_enum=False, create_constraint=True, length=20, validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        name=name or enum_class.__name__.lower(),
    )
