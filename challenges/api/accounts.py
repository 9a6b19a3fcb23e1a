"""Registration, sign-in and the signed-in user."""
from flask_limiter.util import get_remote_address

from challenges.api import limits
from challenges.api.blueprint import Blueprint

from challenges.auth import bearer_token, current_user, login_required
from challenges.schemas.accounts import MeOut, TokenIn, TokenOut, UserIn
from challenges.services import accounts

bp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Users and tokens.")


@bp.post("/users")
@limits.register
@bp.arguments(UserIn)
@bp.response(201, MeOut)
def register(data):
    """Create an account."""
    return accounts.register(**data)


@bp.post("/tokens")
@limits.sign_in
@bp.arguments(TokenIn)
@bp.response(201, TokenOut)
def sign_in(data):
    """Sign in: exchange an email and password for a bearer token."""
    raw, token = accounts.issue_token(**data, address=get_remote_address())
    return {"token": raw, "expires_at": token.expires_at}


@bp.delete("/tokens")
@login_required
@bp.response(204)
def sign_out():
    """Revoke the token of this request."""
    accounts.revoke_token(current_user(), bearer_token())


@bp.get("/me")
@login_required
@bp.response(200, MeOut)
def me():
    """The signed-in user, with their email, roles and admin flag."""
    return current_user()
