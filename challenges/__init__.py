"""challenges: a crowdsourcing challenge platform."""
from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from challenges import errors, i18n, read_cache  # noqa: F401 (read_cache: its commit listeners)
from challenges.api import register_blueprints
from challenges.api.conditional import add_etag
from challenges.extensions import api, db, limiter, migrate
from challenges.arrival import ArrivalStamp
from challenges.hooks import add_security_headers, keep_objects_after_commit, limit_body_size
from challenges.telemetry import logs, prometheus, request_ids
from challenges.urls import IdConverter, id_schema, reject_impossible_ids


CORS_OPTIONS = {
    "allow_headers": ["Accept-Language", "Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                      "If-None-Match", "X-Request-ID"],
    "expose_headers": ["ETag", "Location", "Retry-After", "Idempotent-Replayed", "Content-Disposition",
                       "X-Request-ID"],
    "methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "max_age": 600,
}


def create_app(config: type | None = None) -> Flask:
    """Build the application: read the config, bind extensions, register blueprints and handlers."""
    from config import from_environment

    app = Flask(__name__, instance_relative_config=True)
    settings = config or from_environment()
    if hasattr(settings, "check"):
        settings.check()
    app.config.from_object(settings)
    app.json.sort_keys = False
    logs.init_app(app)
    app.url_map.converters["id"] = IdConverter
    app.url_value_preprocessor(reject_impossible_ids)
    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}})
    api.register_converter(IdConverter, id_schema)
    register_blueprints(api)
    errors.init_app(app)
    i18n.init_app(app)
    request_ids.init_app(app)
    prometheus.init_app(app)
    app.before_request(keep_objects_after_commit)
    app.before_request(limit_body_size)
    app.after_request(add_etag)
    app.after_request(add_security_headers)
    if app.config["CORS_ORIGINS"]:
        CORS(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}}, **CORS_OPTIONS)
    app.wsgi_app = ArrivalStamp(app.wsgi_app)
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    from challenges.cli import register_commands

    register_commands(app)
    return app
