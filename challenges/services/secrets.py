"""Secrets kept encrypted at rest, with a key derived from SECRET_KEY."""
import base64
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"challenges webhook secrets") \
        .derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    """A fresh signing secret."""
    return "whsec_" + secrets.token_urlsafe(32)


def seal(plain: str) -> str:
    """Encrypt a secret for storage."""
    return _fernet().encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    """Decrypt a stored secret."""
    return _fernet().decrypt(sealed.encode()).decode()
