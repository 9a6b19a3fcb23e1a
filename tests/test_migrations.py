"""The schema comes from the migrations, and they agree with the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from challenges.extensions import db


def test_migrations_match_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to:
                getattr(getattr(obj, "_ddl_if", None), "dialect", None) in (None, connection.dialect.name),
        })
        differences = compare_metadata(context, db.metadata)
    assert differences == []
