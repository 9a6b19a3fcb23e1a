"""Request and response hooks: the session's commit, the body size limit, and the headers every response carries."""
from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from challenges.extensions import db


def keep_objects_after_commit() -> None:
    """A request's objects stay loaded after its commit: the answer shows what was just written without reading
    it back. Background work keeps the default, since it reads again what other processes may have changed."""
    db.session().expire_on_commit = False


def limit_body_size() -> None:
    """Refuse an oversized body by its Content-Length, whether or not the endpoint reads it; files may be larger."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.mimetype == "multipart/form-data":
        limit = request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"]
    if request.content_length and limit and request.content_length > limit:
        raise RequestEntityTooLarge()


def add_security_headers(response: Response) -> Response:
    """No sniffing, no framing, no referrer, HSTS on HTTPS; API answers are not cached by intermediaries."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.is_secure and current_app.config["HSTS_SECONDS"]:  # on HTTPS only: HSTS over HTTP means nothing
        seconds = current_app.config["HSTS_SECONDS"]
        response.headers["Strict-Transport-Security"] = f"max-age={seconds}; includeSubDomains"
    if response.mimetype in ("application/json", "application/problem+json"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
