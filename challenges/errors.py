"""The AppError family and the one place that renders errors as application/problem+json."""
import logging

from flask import Flask, json, make_response
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://challenges.example/problems/"


class AppError(Exception):
    """An error the client can act upon; subclasses fix the status."""

    status = 400
    title = "Bad request"
    headers: dict = {}

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(AppError):
    status, title = 400, "Bad request"


class Unauthorized(AppError):
    status, title = 401, "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="challenges"'}


class Forbidden(AppError):
    status, title = 403, "Forbidden"


class NotFound(AppError):
    status, title = 404, "Not found"


class Conflict(AppError):
    status, title = 409, "Conflict"


class Unavailable(AppError):
    status, title = 503, "Service unavailable"


class UnsupportedMediaType(AppError):
    status, title = 415, "Unsupported media type"


class TooLarge(AppError):
    status, title = 413, "Content too large"


class TooManyRequests(AppError):
    status, title = 429, "Too many requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.headers = {"Retry-After": str(max(int(retry_after), 1))}


class PreconditionFailed(AppError):
    status, title = 412, "Precondition failed"


class ValidationFailed(AppError):
    status, title = 422, "Unprocessable content"

    def __init__(self, field: str, message: str):
        super().__init__(message, {field: [message]})

    @classmethod
    def nested(cls, field: str, errors: dict, detail: str) -> "ValidationFailed":
        """A validation error with messages for the parts of one field."""
        error = cls(field, detail)
        error.errors = {field: errors}
        return error


def problem(status: int, title: str, detail: str, errors: dict | None = None, headers=None):
    """A problem+json response (RFC 9457)."""
    body = {"type": PROBLEM_TYPE + title.lower().replace(" ", "-"), "title": title,
            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = make_response(json.dumps(body), status)
    response.headers.update(headers or {})
    response.mimetype = "application/problem+json"
    return response


def _flatten(messages: dict) -> dict:
    """Validation messages of every request location, merged under their field names."""
    merged: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            merged.update(location_messages)
        else:
            merged.setdefault("_body", []).extend(location_messages)
    return merged


def handle_app_error(error: AppError):
    """Render a domain error."""
    return problem(error.status, error.title, error.detail, error.errors, error.headers)


def handle_http_exception(error: HTTPException):
    """Render a werkzeug or webargs error, keeping its headers (Allow, WWW-Authenticate)."""
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    data = getattr(error, "data", None) or {}
    if error.code == 422 and "messages" in data:
        errors = _flatten(data["messages"])
        return problem(422, "Unprocessable content", "The request has invalid fields.", errors, headers)
    if error.code == 400 and "messages" in data:
        return problem(400, "Bad request", "The request body is not valid JSON.", None, headers)
    if isinstance(error, InternalServerError):
        return handle_unexpected(error.original_exception or error)
    return problem(error.code or 500, error.name, error.description or error.name, None, headers)


def handle_unexpected(error: BaseException):
    """A bug: log it, reveal nothing."""
    log.exception("Unhandled error", exc_info=error)
    return problem(500, "Internal server error", "Something went wrong on our side.")


def init_app(app: Flask) -> None:
    """Route every error through problem+json."""
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
