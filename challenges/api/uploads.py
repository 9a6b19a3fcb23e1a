"""Multipart uploads: form fields loaded by a schema, and one file, streamed from a spooled temporary file."""
import hashlib
from functools import wraps

from flask import request
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import FileStorage

from challenges.errors import UnsupportedMediaType, ValidationFailed

MULTIPART = "multipart/form-data"


def fingerprint() -> bytes:
    """What identifies a multipart request: its fields and its files' SHA-256, not the random boundary."""
    digest = hashlib.sha256()
    for key, value in sorted(request.form.items(multi=True)):
        digest.update(f"{len(key)}:{key}{len(value)}:{value}".encode())
    for key, upload in request.files.items(multi=True):
        content = hashlib.file_digest(upload.stream, "sha256").hexdigest()
        upload.stream.seek(0)
        digest.update(f"file {key} {content}".encode())
    return digest.hexdigest().encode()


def form_and_file(schema_class) -> tuple[dict, FileStorage]:
    """The form fields, loaded by the schema, and the `file` part; 415 unless the body is multipart."""
    if request.mimetype != MULTIPART:
        raise UnsupportedMediaType(_("Send the file as multipart/form-data, in a part named 'file'."))
    fields = {key: request.form.getlist(key) for key in request.form}
    if any(len(values) > 1 for values in fields.values()):
        raise ValidationFailed("form", _("Send each field once."))
    try:
        data = schema_class().load({key: values[0] for key, values in fields.items()})
    except ValidationError as error:
        raise ValidationFailed.nested("form", error.messages, _("Some fields are not valid.")) from None
    uploads = request.files.getlist("file")
    if len(uploads) != 1 or len(list(request.files.items(multi=True))) != 1:
        raise ValidationFailed("file", _("Send exactly one file, in a part named 'file'."))
    return data, uploads[0]


def multipart_to(file_view, check_json):
    """Send a multipart body to file_view; for any other body, check_json(the view's path values) and go on."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.mimetype == MULTIPART:
                return file_view(*args, **kwargs)
            check_json(*kwargs.values())
            return view(*args, **kwargs)

        return wrapper

    return decorator


def file_body(description: str, fields: dict | None = None, alternative: bool = False):
    """Describe the multipart body in the OpenAPI spec (as the only body, or beside the JSON one)."""

    def decorator(view):
        apidoc = getattr(view, "_apidoc", {})
        properties = {"file": {"type": "string", "format": "binary", "description": description}} | (fields or {})
        body = {MULTIPART: {"schema": {"type": "object", "properties": properties, "required": ["file"]}}}
        manual = apidoc.setdefault("manual_doc", {})
        if alternative:
            manual.setdefault("requestBody", {}).setdefault("content", {}).update(body)
        else:
            manual["requestBody"] = {"required": True, "content": body}
        view._apidoc = apidoc
        return view

    return decorator
