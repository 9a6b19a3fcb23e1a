"""Conditional requests: ETags on reads, If-Match on writes so that no update is lost."""
from functools import wraps

from flask import Response, jsonify, request
from flask_babel import gettext as _
from werkzeug.http import generate_etag

from challenges.auth import current_user
from challenges.errors import PreconditionFailed


def etag_of(schema, obj) -> str:
    """The ETag a GET of this object answers with: the hash of its JSON body."""
    return generate_etag(jsonify(schema().dump(obj)).get_data())


def if_match(load, schema):
    """Refuse the write with 412 when If-Match names a representation that is no longer current."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.if_match:
                current = etag_of(schema, load(current_user(), *kwargs.values()))
                if not request.if_match.contains(current):
                    raise PreconditionFailed(_("The resource changed since you read it; read it again."))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def add_etag(response: Response) -> Response:
    """Tag JSON reads and edits; answer a read with 304 when If-None-Match names the current tag."""
    if request.method in ("GET", "PATCH") and response.status_code == 200 and response.mimetype == "application/json":
        response.add_etag()
        if request.method == "GET":
            response.make_conditional(request)
    return response
