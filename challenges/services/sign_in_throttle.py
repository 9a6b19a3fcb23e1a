"""Sign-in slows down for an account under attack, without locking its owner out.

Attempts are counted per account and address (a success clears that count), and per account from
anywhere. Past the first limit that address waits; past the second every address waits except those
the owner signed in from before.
"""
import hashlib
import hmac
import time

from flask import current_app
from limits import parse
from sqlalchemy.dialects import postgresql, sqlite

from challenges import clock
from challenges.errors import TooManyRequests
from challenges.extensions import db, limiter
from challenges.models import SignInAddress, User


def _limits():
    config = current_app.config
    return parse(config["SIGN_IN_ATTEMPTS_PER_ADDRESS"]), parse(config["SIGN_IN_ATTEMPTS_PER_ACCOUNT"])


def attempt(email: str, address: str | None) -> None:
    """Count a sign-in attempt before the password is checked, atomically, so that parallel guesses cannot
    all slip under the limit; 429 with Retry-After when this account may not be tried from here for now."""
    if not limiter.enabled:
        return
    per_address, per_account = _limits()
    strategy = limiter.limiter
    if not strategy.hit(per_address, "sign-in", email, address or "-"):
        raise TooManyRequests("Too many failed sign-ins for this account from here; wait and try again.",
                              _wait(per_address, email, address or "-"))
    if not strategy.hit(per_account, "sign-in", email) and not _known(email, address):
        raise TooManyRequests("This account has had too many failed sign-ins; wait and try again.",
                              _wait(per_account, email))


def _wait(item, *keys) -> int:
    return int(limiter.limiter.get_window_stats(item, "sign-in", *keys).reset_time - time.time()) + 1


def succeeded(user: User, address: str | None) -> None:
    """Forget this address's attempts, and remember that the owner signs in from it (the caller commits)."""
    if limiter.enabled:
        limiter.limiter.clear(_limits()[0], "sign-in", user.email, address or "-")
    if address:
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        now = clock.now()
        db.session.execute(dialect.insert(SignInAddress).values(
            user_id=user.id, address_digest=_digest(address), last_seen_at=now,
        ).on_conflict_do_update(index_elements=["user_id", "address_digest"], set_={"last_seen_at": now}))


def _known(email: str, address: str | None) -> bool:
    if not address:
        return False
    user_id = db.session.scalar(db.select(User.id).where(User.email == email))
    return user_id is not None and db.session.get(SignInAddress, (user_id, _digest(address))) is not None


def _digest(address: str) -> str:
    """Addresses are kept as a keyed hash: the table is no list of where users have been."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), address.encode(), hashlib.sha256).hexdigest()
