"""Bearer-token authentication: current_user() and the login_required decorator."""
from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from challenges.errors import Unauthorized
from challenges.models import User
from challenges.services import accounts

NO_USER = object()


def bearer_token() -> str | None:
    """The token of the Authorization header, or None when there is none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_("The Authorization header must be 'Bearer <token>'."))
    return token.strip()


def current_user() -> User | None:
    """The signed-in user; None for anonymous requests; 401 for a bad token."""
    if "user" not in g:
        token = bearer_token()
        g.user = None if token is None else accounts.user_for_token(token)
    return g.user


def rate_limit_key() -> str:
    """Signed-in callers are limited as themselves, everyone else by address."""
    try:
        user = current_user()
    except Unauthorized:
        user = None
    return f"user:{user.id}" if user else f"ip:{get_remote_address()}"


def login_required(view):
    """Refuse anonymous callers with 401 before the body is read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            raise Unauthorized(_("Sign in: this call needs a bearer token."))
        return view(*args, **kwargs)

    _document_security(wrapper)
    return wrapper


def authenticated(view):
    """Resolve an optional token before the body is read (401 when it is invalid)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        current_user()
        return view(*args, **kwargs)

    return wrapper


def _document_security(view) -> None:
    """Mark the endpoint as needing a bearer token in the OpenAPI spec."""
    apidoc = getattr(view, "_apidoc", {})
    apidoc.setdefault("manual_doc", {})["security"] = [{"bearerAuth": []}]
    view._apidoc = apidoc
