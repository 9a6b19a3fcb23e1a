"""Log lines as readable text or as one JSON object each, carrying the request's id, method, path and user."""
import logging
import sys

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import inspect

from challenges.telemetry import request_ids

FORMATS = ("text", "json")
HANDLER = "challenges"  # the name of our handler on the root logger, so a second app replaces it, not doubles it
USER_ID = "challenges.user_id"  # in the WSGI environ, for gunicorn's access line
TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and any context of the record."""
    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"})


def text_formatter() -> logging.Formatter:
    """Readable lines, with the request's id in brackets ("-" outside a request)."""
    return logging.Formatter(TEXT, defaults={"request_id": "-"})


def user_id() -> int | None:
    """The id of the request's signed-in user, once authentication has found one; never loads anything."""
    user = g.get("user")
    identity = inspect(user).identity if user is not None else None  # read from the object: no query
    return identity[0] if identity else None


class RequestContext(logging.Filter):
    """Adds the request's id, method, path and user id to records written while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = request_ids.current()
            record.method, record.path, record.user_id = request.method, request.path, user_id()
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written, as logging's last-resort handler does."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


def configure(log_format: str, level: str) -> None:
    """Send every logger's lines, through the root logger, to stderr in this format from this level."""
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}.")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER), None)
    if handler is None:
        handler = StderrHandler()
        handler.set_name(HANDLER)
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    handler.setFormatter(json_formatter() if log_format == "json" else text_formatter())
    root.setLevel(level.upper())


def _note_user(response: Response) -> Response:
    if (known := user_id()) is not None:
        request.environ[USER_ID] = known
    return response


def init_app(app: Flask) -> None:
    """Configure logging from LOG_FORMAT and LOG_LEVEL; leave the user's id where the access log finds it."""
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.after_request(_note_user)
