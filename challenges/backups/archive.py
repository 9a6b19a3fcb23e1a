"""The backup archive: one tar file holding the database dump, the stored files and a manifest of their SHA-256."""
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from challenges import clock
from challenges.backups.errors import BackupError
from challenges.storage import CHUNK, NAME

FORMAT = "challenges-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
SPOOL_BYTES = 8 * 1024 * 1024  # a stored file up to this size is checked in memory, a larger one on disk
READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError)


class _Hashing:
    """A stream that hashes what is read through it."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def file_member(sha256: str) -> str:
    """The name in the archive of a stored file."""
    return FILES + sha256


def _compressed(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


class Writer:
    """Writes an archive under a temporary name, and gives it its own only once it is whole."""

    def __init__(self, path: Path):
        if path.exists():
            raise BackupError(f"{path} already exists: name a new archive.")
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        # The archive holds password hashes and encrypted secrets: readable by its owner only.
        descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file = os.fdopen(descriptor, "wb")
        self._tar = tarfile.open(fileobj=self._file, mode="w:gz" if _compressed(path) else "w")
        self.members: dict[str, dict] = {}

    def add(self, name: str, stream: BinaryIO, size: int) -> str:
        """Add a member from a stream of `size` bytes; its SHA-256."""
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(clock.now().timestamp())
        hashing = _Hashing(stream)
        self._tar.addfile(info, hashing)
        self.members[name] = {"sha256": hashing.digest.hexdigest(), "bytes": size}
        return self.members[name]["sha256"]

    def add_stored(self, sha256: str, stream: BinaryIO) -> int | None:
        """Add a stored file once its bytes are checked against its name; its size, or None when they differ."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            hashing = _Hashing(stream)
            while chunk := hashing.read(CHUNK):
                spool.write(chunk)
            if hashing.digest.hexdigest() != sha256:
                return None
            size = spool.tell()
            spool.seek(0)
            self.add(file_member(sha256), spool, size)
            return size

    def finish(self, manifest: dict) -> None:
        """Write the manifest last, then give the archive its name."""
        body = json.dumps(manifest | {"members": self.members}, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(body), 0o600, int(clock.now().timestamp())
        self._tar.addfile(info, io.BytesIO(body))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        """Drop what was written."""
        self._tar.close()
        self._file.close()
        self.partial.unlink(missing_ok=True)


@contextmanager
def reading(path: Path) -> Iterator[tarfile.TarFile]:
    """The archive opened for reading; a BackupError, not a traceback, when it is not one."""
    try:
        with tarfile.open(path, mode="r:*") as tar:
            yield tar
    except READ_ERRORS as error:
        raise BackupError(f"{path} is not a readable backup archive ({_reason(error)}).") from None


def _reason(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def manifest(tar: tarfile.TarFile) -> dict:
    """The archive's manifest, checked for its shape (not yet against the members)."""
    try:
        stream = tar.extractfile(tar.getmember(MANIFEST))
        found = json.loads(stream.read())
    except KeyError:
        raise BackupError(f"{tar.name} holds no {MANIFEST}: it is not a backup archive, or it is cut short.") from None
    except ValueError:
        raise BackupError(f"{tar.name}: its {MANIFEST} is not JSON.") from None
    try:
        if found["format"] != FORMAT or found["version"] != VERSION:
            raise BackupError(f"{tar.name} is not a {FORMAT} archive of version {VERSION}.")
        database, members = found["database"], found["members"]
        if not (isinstance(database["dialect"], str) and isinstance(database["alembic_revision"], str)
                and database["member"] in members
                and all(isinstance(entry["sha256"], str) and isinstance(entry["bytes"], int)
                        for entry in members.values())):
            raise TypeError
    except (KeyError, TypeError, AttributeError):
        raise BackupError(f"{tar.name}: its {MANIFEST} is malformed.") from None
    return found


def verify(tar: tarfile.TarFile, found: dict) -> None:
    """Check every member against the manifest's size and SHA-256, and that none is missing or extra."""
    expected, seen = found["members"], set()
    try:
        for member in tar:
            if member.name == MANIFEST:
                continue
            entry = expected.get(member.name)
            if entry is None or not member.isreg() or not _well_named(member.name):
                raise BackupError(f"{tar.name}: the member {member.name!r} is not in the manifest.")
            digest = hashlib.sha256()
            stream = tar.extractfile(member)
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
            if member.size != entry["bytes"] or digest.hexdigest() != entry["sha256"]:
                raise BackupError(f"{tar.name} is corrupt: {member.name} does not match its SHA-256.")
            seen.add(member.name)
    except READ_ERRORS as error:
        raise BackupError(f"{tar.name} is corrupt ({_reason(error)}).") from None
    if missing := sorted(set(expected) - seen):
        raise BackupError(f"{tar.name} is incomplete: {len(missing)} member(s) missing, {missing[0]} first.")


def _well_named(name: str) -> bool:
    """A stored file's member is named by its hash; nothing else may hold a path."""
    if name.startswith(FILES):
        return NAME.fullmatch(name[len(FILES):]) is not None
    return "/" not in name


def stored_files(tar: tarfile.TarFile) -> Iterator[tuple[str, BinaryIO]]:
    """The stored files in the archive: (SHA-256, stream) in archive order."""
    for member in tar:
        if member.name.startswith(FILES):
            yield member.name[len(FILES):], tar.extractfile(member)


def extract(tar: tarfile.TarFile, name: str, target: Path) -> None:
    """Copy one member's bytes to a file (never a path taken from the archive)."""
    stream = tar.extractfile(tar.getmember(name))
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            out.write(chunk)
