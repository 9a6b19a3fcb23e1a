"""The application's singletons: database, migrations and the REST API."""
import http
from datetime import datetime
from functools import partial

from flask import current_app
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from challenges import redis_circuit
from challenges.dbtypes import UTCDateTime


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names are fixed so migrations can name them."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
db.Model.registry.update_type_annotation_map({datetime: UTCDateTime})
migrate = Migrate()


class ProblemApi(Api):
    """flask-smorest's Api, with every error documented as application/problem+json."""

    def _register_responses(self):
        from challenges.schemas.common import Problem  # schemas need the models, which need db

        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {"application/problem+json": {"schema": Problem}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "An error (application/problem+json).",
            "content": {"application/problem+json": {"schema": Problem}}}, lazy=True)


api = ProblemApi()


def _rate_limit_key() -> str:
    from challenges.auth import rate_limit_key  # imported late: auth needs the models, which need db

    return rate_limit_key()


class FallbackLimiter(Limiter):
    """Flask-Limiter, which counts in this process while its Redis is away; each request so counted is noted."""

    def init_app(self, app) -> None:
        # One limiter serves every app of the process: each starts on its own storage, with its own default limits
        # (Flask-Limiter keeps the first app's otherwise).
        self._storage_dead = False
        self.limit_manager.set_default_limits([])
        super().init_app(app)
        if self.enabled:
            app.after_request(self._note_fallback)  # after the view too: its own limits may have found Redis away
            uri = app.config["RATELIMIT_STORAGE_URI"]
            if not uri.startswith("memory://"):  # its checks for a way back honour the circuit the others use
                self._storage.check = partial(redis_circuit.reachable, uri)

    def _note_fallback(self, response):
        if self._storage_dead:
            redis_circuit.fell_back("rate_limits", current_app.config["RATELIMIT_STORAGE_URI"])
        return response


limiter = FallbackLimiter(key_func=_rate_limit_key)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record):
    """SQLite: enforce foreign keys, wait for locks, and let us issue BEGIN ourselves."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """SQLite: take the write lock up front, so two writers never deadlock on an upgrade."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
