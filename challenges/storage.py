"""Where files live, by SHA-256: a local folder by default, S3-compatible storage when STORAGE_URL is s3://."""
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

from flask import current_app

CHUNK = 1024 * 1024
NAME = re.compile(r"[0-9a-f]{64}")  # a stored file's name: its SHA-256


class MissingFile(Exception):
    """A file the database names is not in the store."""


class LocalStorage:
    """Files in a folder, two levels deep by hash; written whole before they appear."""

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, stream: BinaryIO) -> None:
        """Store the stream's bytes under their SHA-256 (once; equal files share one copy)."""
        target = self._path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".", delete=False) as temporary:
            try:
                shutil.copyfileobj(stream, temporary, CHUNK)
                temporary.close()
                os.replace(temporary.name, target)  # atomic: a reader never sees half a file
            finally:
                Path(temporary.name).unlink(missing_ok=True)  # what a failed write left behind

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes, to be read in chunks."""
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError:
            raise MissingFile(sha256) from None

    def names(self) -> Iterator[str]:
        """The SHA-256 of every stored file."""
        for folder in sorted(self.root.glob("??")):
            for name in sorted(os.listdir(folder)) if folder.is_dir() else ():
                if NAME.fullmatch(name):
                    yield name

    def remove(self, sha256: str) -> None:
        """Delete a stored file, if it is there."""
        self._path(sha256).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3-compatible bucket: s3://bucket/prefix?endpoint=https://host&region=eu-west-1."""

    def __init__(self, url: str):
        import boto3  # only deployments that use S3 pay for loading it

        parts = urlsplit(url)
        options = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.client = boto3.client("s3", endpoint_url=options.get("endpoint"), region_name=options.get("region"))

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    def put(self, sha256: str, stream: BinaryIO) -> None:
        """Upload the stream under its SHA-256, in parts for large files."""
        self.client.upload_fileobj(stream, self.bucket, self._key(sha256))

    def open(self, sha256: str) -> BinaryIO:
        """The object's body, streamed from the bucket."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise MissingFile(sha256) from None

    def names(self) -> Iterator[str]:
        """The SHA-256 of every stored object under the prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", ()):
                name = item["Key"][len(start):]
                if NAME.fullmatch(name):
                    yield name

    def remove(self, sha256: str) -> None:
        """Delete a stored object, if it is there."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))


def storage() -> LocalStorage | S3Storage:
    """The application's file store, made once from STORAGE_URL."""
    store = current_app.extensions.get("challenges.storage")
    if store is None:
        url = current_app.config["STORAGE_URL"]
        store = S3Storage(url) if url.startswith("s3://") else LocalStorage(urlsplit(url).path)
        current_app.extensions["challenges.storage"] = store
    return store
