"""What a file is, judged from its bytes rather than the client's word; and a safe name to show for it."""
import codecs
import hashlib
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

import filetype
from flask_babel import gettext as _

from challenges.errors import TooLarge, UnsupportedMediaType, ValidationFailed

CHUNK = 1024 * 1024
HEAD = 8192
BINARY = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "zip": "application/zip"}
TEXT = {"csv": "text/csv", "md": "text/markdown", "txt": "text/plain"}
ALIASES = {"jpeg": "jpg"}
ZIPPED = {"application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "application/vnd.openxmlformats-officedocument.presentationml.presentation",
          "application/epub+zip", "application/vnd.oasis.opendocument.text",
          "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation"}


@dataclass
class Inspected:
    """A file's SHA-256, size and judged type."""

    sha256: str
    size: int
    content_type: str


def inspect(stream: BinaryIO, filename: str, allowed: set[str], max_bytes: int) -> Inspected:
    """Hash, measure and type a file in chunks: 413 beyond max_bytes, 415 for a type not allowed."""
    digest, size, head = hashlib.sha256(), 0, b""
    decoder, is_text = codecs.getincrementaldecoder("utf-8")(), True
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(_("A file may hold at most %(count)s bytes.", count=max_bytes))
        digest.update(chunk)
        head = head or chunk[:HEAD]
        is_text = is_text and _text(decoder, chunk)
    if size == 0:
        raise ValidationFailed("file", _("The file is empty."))
    is_text = is_text and _text(decoder, b"", final=True)
    stream.seek(0)
    return Inspected(digest.hexdigest(), size, _judge(head, is_text, filename, {ALIASES.get(a, a) for a in allowed}))


def _text(decoder, chunk: bytes, final: bool = False) -> bool:
    try:
        return "\x00" not in decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False


def _judge(head: bytes, is_text: bool, filename: str, allowed: set[str]) -> str:
    kind = filetype.guess(head)
    if kind and kind.mime in ZIPPED and "zip" in allowed:  # an office document is a ZIP archive too
        return BINARY["zip"]
    if kind and kind.extension in BINARY and kind.extension in allowed:
        return BINARY[kind.extension]
    if kind is None and is_text and head:
        extension = filename.rpartition(".")[2].lower() if "." in filename else ""
        for candidate in (extension, "txt"):  # the name only says which kind of text it is
            if candidate in TEXT and candidate in allowed:
                return TEXT[candidate]
    raise UnsupportedMediaType(_("Allowed file types: %(types)s; judged from the content.",
                                 types=", ".join(sorted(allowed))))


def display_name(raw: str | None) -> str:
    """The client's file name without any path, control characters or leading dots; for display only."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rpartition("/")[2])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "file"
