"""The AppError family and the one place that renders errors as application/problem+json."""
import logging

from flask import Flask, json, make_response
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from challenges import i18n
from challenges.validation_messages import N_, translate, translate_all

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://challenges.example/problems/"


class AppError(Exception):
    """An error the client can act upon; subclasses fix the status."""

    status = 400
    title = N_("Bad request")
    headers: dict = {}

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(AppError):
    status, title = 400, N_("Bad request")


class Unauthorized(AppError):
    status, title = 401, N_("Unauthorized")
    headers = {"WWW-Authenticate": 'Bearer realm="challenges"'}


class Forbidden(AppError):
    status, title = 403, N_("Forbidden")


class NotFound(AppError):
    status, title = 404, N_("Not found")


class Conflict(AppError):
    status, title = 409, N_("Conflict")


class Unavailable(AppError):
    status, title = 503, N_("Service unavailable")


class UnsupportedMediaType(AppError):
    status, title = 415, N_("Unsupported media type")


class TooLarge(AppError):
    status, title = 413, N_("Content too large")


class TooManyRequests(AppError):
    status, title = 429, N_("Too many requests")

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.headers = {"Retry-After": str(max(int(retry_after), 1))}


class PreconditionFailed(AppError):
    status, title = 412, N_("Precondition failed")


class ValidationFailed(AppError):
    status, title = 422, N_("Unprocessable content")

    def __init__(self, field: str, message: str):
        super().__init__(message, {field: [message]})

    @classmethod
    def nested(cls, field: str, errors: dict, detail: str) -> "ValidationFailed":
        """A validation error with messages for the parts of one field."""
        error = cls(field, detail)
        error.errors = {field: errors}
        return error


# werkzeug's names and descriptions of the errors this API can answer with, for the catalogue (they are
# shown through gettext, and a test checks that they still match werkzeug's own texts)
WERKZEUG_TEXTS = {
    400: (N_("Bad Request"), N_("The browser (or proxy) sent a request that this server could not understand.")),
    401: (N_("Unauthorized"), N_("The server could not verify that you are authorized to access the URL requested. "
                                 "You either supplied the wrong credentials (e.g. a bad password), or your browser "
                                 "doesn't understand how to supply the credentials required.")),
    403: (N_("Forbidden"), N_("You don't have the permission to access the requested resource. It is either "
                              "read-protected or not readable by the server.")),
    404: (N_("Not Found"), N_("The requested URL was not found on the server. If you entered the URL manually please "
                              "check your spelling and try again.")),
    405: (N_("Method Not Allowed"), N_("The method is not allowed for the requested URL.")),
    406: (N_("Not Acceptable"), N_("The resource identified by the request is only capable of generating response "
                                   "entities which have content characteristics not acceptable according to the "
                                   "accept headers sent in the request.")),
    409: (N_("Conflict"), N_("A conflict happened while processing the request. The resource might have been "
                             "modified while the request was being processed.")),
    412: (N_("Precondition Failed"), N_("The precondition on the request for the URL failed positive evaluation.")),
    413: (N_("Request Entity Too Large"), N_("The data value transmitted exceeds the capacity limit.")),
    415: (N_("Unsupported Media Type"), N_("The server does not support the media type transmitted in the request.")),
    422: (N_("Unprocessable Entity"), N_("The request was well-formed but was unable to be followed due to semantic "
                                         "errors.")),
    429: (N_("Too Many Requests"), N_("This user has exceeded an allotted request count. Try again later.")),
    500: (N_("Internal Server Error"), N_("The server encountered an internal error and was unable to complete your "
                                          "request. Either the server is overloaded or there is an error in the "
                                          "application.")),
    501: (N_("Not Implemented"), N_("The server does not support the action requested by the browser.")),
    503: (N_("Service Unavailable"), N_("The server is temporarily unable to service your request due to maintenance "
                                        "downtime or capacity problems. Please try again later.")),
}


def problem(status: int, title: str, detail, errors: dict | None = None, headers=None):
    """A problem+json response (RFC 9457): the type from the English title, the texts in the request's language."""
    body = {"type": PROBLEM_TYPE + title.lower().replace(" ", "-"), "title": translate(title),
            "status": status, "detail": translate(str(detail))}
    if errors:
        body["errors"] = translate_all(errors)
    response = make_response(json.dumps(body), status)
    response.headers.update(headers or {})
    response.headers["Content-Language"] = i18n.current()
    response.vary.add("Accept-Language")  # a shared cache must not hand a French answer to an English reader
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
        return problem(422, "Unprocessable content", gettext("The request has invalid fields."), errors, headers)
    if error.code == 400 and "messages" in data:
        return problem(400, "Bad request", gettext("The request body is not valid JSON."), None, headers)
    if isinstance(error, InternalServerError):
        return handle_unexpected(error.original_exception or error)
    return problem(error.code or 500, error.name, error.description or error.name, None, headers)


def handle_unexpected(error: BaseException):
    """A bug: log it, reveal nothing."""
    log.exception("Unhandled error", exc_info=error)
    return problem(500, N_("Internal server error"), gettext("Something went wrong on our side."))


def init_app(app: Flask) -> None:
    """Route every error through problem+json."""
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
