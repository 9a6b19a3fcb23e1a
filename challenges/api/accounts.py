"""Registration, sign-in, the signed-in user's settings and password, and the links sent by email."""
from flask import Response, stream_with_context
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from challenges.api import limits
from challenges.api.blueprint import Blueprint, no_body

from challenges.auth import bearer_token, current_user, login_required
from challenges.schemas.accounts import (
    AcceptedOut, ErasureIn, MeIn, MeOut, PasswordChangeIn, PasswordResetIn, PasswordResetRequestIn, TokenIn, TokenOut, UserIn,
)
from challenges.services import account_export, accounts, erasure

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


@bp.patch("/me")
@limits.sign_in  # a new email is checked against the password: no faster guessing here than at sign-in
@login_required
@bp.arguments(MeIn)
@bp.response(200, MeOut)
def update_me(data):
    """Change the caller's settings: name, language, time zone, emails on or off, and email (once verified)."""
    return accounts.update_me(current_user(), **data)


@bp.delete("/me")
@limits.sign_in
@login_required
@bp.arguments(ErasureIn)
@bp.response(204)
def erase_me(data):
    """Erase the caller's account: personal data removed, what organisations must keep anonymised (see privacy)."""
    erasure.erase(current_user(), **data)


@bp.get("/me/export")
@limits.export
@login_required
@bp.response(200, content_type="application/json", description="The caller's data as one JSON document.")
def export_me():
    """Download everything the service holds about the caller, as JSON, streamed."""
    user = current_user()
    return Response(stream_with_context(account_export.archive(user)), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="account-{user.id}.json"', "Cache-Control": "no-store"})


@bp.post("/me/password")
@limits.sign_in
@login_required
@bp.arguments(PasswordChangeIn)
@bp.response(204)
def change_password(data):
    """Change the caller's password; every other token of theirs is revoked."""
    accounts.change_password(current_user(), bearer_token(), **data)


@bp.post("/me/email-verification")
@limits.password_reset
@login_required
@no_body(bp)
@bp.response(202)
def resend_verification(_body):
    """Send a fresh verification link to the caller's pending (or unverified) address."""
    accounts.resend_verification(current_user())


@bp.post("/password-resets")
@limits.password_reset
@bp.arguments(PasswordResetRequestIn)
@bp.response(202, AcceptedOut)
def request_password_reset(data):
    """Ask for a password reset link by email; the answer is the same whether an account has the address or not."""
    accounts.request_password_reset(**data)
    return {"detail": _("If an account has this address, a link to reset its password is on its way.")}


@bp.post("/password-resets/<string(maxlength=128):token>")
@limits.password_reset
@bp.arguments(PasswordResetIn)
@bp.response(204)
def reset_password(data, token):
    """Set a new password with the token of a reset link; every token of the account is revoked."""
    accounts.reset_password(token, **data)


@bp.post("/email-verifications/<string(maxlength=128):token>")
@no_body(bp)
@bp.response(204)
def verify_email(_body, token):
    """Confirm an email address with the token of the link sent to it."""
    accounts.verify_email(token)
