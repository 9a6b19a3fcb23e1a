"""Sign-in slows down for an account under attack, without locking its owner out.

Failures are counted per account and address, and per account from anywhere. Past the first limit
that address waits; past the second every address waits except those the owner signed in from before.
"""
import hashlib
import hmac
import time

from flask import current_app
from limits import parse

from challenges import clock
from challenges.errors import TooManyRequests
from challenges.extensions import db, limiter
from challenges.models import SignInAddress, User


def _limits():
    config = current_app.config
    return parse(config["SIGN_IN_FAILURES_PER_ADDRESS"]), parse(config["SIGN_IN_FAILURES_PER_ACCOUNT"])


def check(email: str, address: str | None) -> None:
    """429 with Retry-After when this account may not be tried from this address for now."""
    if not limiter.enabled:
        return
    per_address, per_account = _limits()
    strategy = limiter.limiter
    if not strategy.test(per_address, "sign-in", email, address or "-"):
        raise TooManyRequests("Too many failed sign-ins for this account from here; wait and try again.",
                              _wait(per_address, email, address or "-"))
    if not strategy.test(per_account, "sign-in", email) and not _known(email, address):
        raise TooManyRequests("This account has had too many failed sign-ins; wait and try again.",
                              _wait(per_account, email))


def _wait(item, *keys) -> int:
    return int(limiter.limiter.get_window_stats(item, "sign-in", *keys).reset_time - time.time()) + 1


def failed(email: str, address: str | None) -> None:
    """Count a failed sign-in."""
    if limiter.enabled:
        per_address, per_account = _limits()
        limiter.limiter.hit(per_address, "sign-in", email, address or "-")
        limiter.limiter.hit(per_account, "sign-in", email)


def succeeded(user: User, address: str | None) -> None:
    """Remember the address the owner signed in from (the caller commits)."""
    if address:
        db.session.merge(SignInAddress(user_id=user.id, address_digest=_digest(address), last_seen_at=clock.now()))


def _known(email: str, address: str | None) -> bool:
    if not address:
        return False
    user_id = db.session.scalar(db.select(User.id).where(User.email == email))
    return user_id is not None and db.session.get(SignInAddress, (user_id, _digest(address))) is not None


def _digest(address: str) -> str:
    """Addresses are kept as a keyed hash: the table is no list of where users have been."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), address.encode(), hashlib.sha256).hexdigest()
