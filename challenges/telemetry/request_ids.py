"""Request ids: the caller's X-Request-ID when it is a sane one, else a new one, sent back on every answer."""
import re
import uuid

from flask import Flask, Response, has_request_context, request

HEADER = "X-Request-ID"
ENVIRON_KEY = "challenges.request_id"  # in the WSGI environ, where gunicorn's access log finds it too
# Only what is safe in a header and a log line as it stands; anything else is replaced, never echoed.
SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")


def of(environ: dict) -> str:
    """The id of the request with this WSGI environ, taken from its header or made on first use."""
    if ENVIRON_KEY not in environ:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        environ[ENVIRON_KEY] = given if SANE.fullmatch(given) else uuid.uuid4().hex
    return environ[ENVIRON_KEY]


def current() -> str | None:
    """The id of the request being served; None outside a request."""
    return of(request.environ) if has_request_context() else None


def _send_back(response: Response) -> Response:
    response.headers[HEADER] = of(request.environ)
    return response


def init_app(app: Flask) -> None:
    """Put the request's id on every answer."""
    app.after_request(_send_back)
