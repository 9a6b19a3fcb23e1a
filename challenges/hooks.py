"""Request and response hooks: JSON bodies only, and the headers every response carries."""
from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from challenges.errors import AppError

JSON_TYPES = {"application/json"}


class UnsupportedMediaType(AppError):
    status, title = 415, "Unsupported media type"


def require_json_body() -> None:
    """A request body must be JSON and within the size limit, whether or not the endpoint reads it."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length and limit and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.method in ("POST", "PUT", "PATCH") and _has_body() and request.mimetype not in JSON_TYPES:
        raise UnsupportedMediaType("Send the body as application/json.")


def _has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"


def add_security_headers(response: Response) -> Response:
    """No sniffing, no framing, no referrer; API answers are not cached by intermediaries."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype in ("application/json", "application/problem+json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
