"""The Idempotency-Key header: a retried POST returns the first answer instead of creating twice."""
import hashlib
from functools import wraps

from flask import Response, request
from flask_babel import gettext as _

from challenges.api import uploads
from challenges.auth import current_user
from challenges.errors import ValidationFailed
from challenges.services import idempotency

HEADER = "Idempotency-Key"


def idempotent(view):
    """Run the view once per (user, key); replay its answer for a retry with the same request."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
            raise ValidationFailed(HEADER, _("Use 1 to 255 printable ASCII characters."))
        actor = current_user()
        body = uploads.fingerprint() if request.mimetype == uploads.MULTIPART else request.get_data()
        fingerprint = hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()
        earlier = idempotency.begin(actor, key, fingerprint)
        if earlier:
            replay = Response(earlier.response_body, earlier.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(*args, **kwargs)
        except Exception:
            idempotency.release(actor, key)
            raise
        idempotency.finish(actor, key, response.status_code, response.get_data(as_text=True))
        return response

    apidoc = getattr(wrapper, "_apidoc", {})
    apidoc.setdefault("manual_doc", {}).setdefault("parameters", []).append({
        "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
        "description": "Retries with the same key and body get the first answer (kept 24 hours).",
    })
    wrapper._apidoc = apidoc
    return wrapper
