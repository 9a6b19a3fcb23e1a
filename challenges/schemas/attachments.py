"""Attached files."""
from marshmallow import fields

from challenges.schemas.common import Schema


class AttachmentForm(Schema):
    """An upload carries only its `file` part."""


class AttachmentOut(Schema):
    """A file's name for display, size, judged type and SHA-256."""

    id = fields.Integer()
    challenge_id = fields.Integer()
    submission_id = fields.Integer(allow_none=True)
    filename = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    sha256 = fields.String()
    uploader_id = fields.Integer()
    created_at = fields.AwareDateTime()
