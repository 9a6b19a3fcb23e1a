"""Sign-in slows down for an account under attack, without locking its owner out.

Attempts are counted per account and address (a success clears that count), and per account from
anywhere. Past the first limit that address waits; past the second every address waits except those
the owner signed in from before. Such an address is never held up by guesses made elsewhere, and by its
own only once they pass the second limit: an owner who mistypes is not shut out, and guesses from any one
place stay bounded. The counts live where every worker sees them: in Redis when the rate limits live there,
else in the database, as they also do while that Redis is away.
"""
import hashlib
import hmac
import time
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from challenges import clock, redis_circuit
from challenges.errors import TooManyRequests
from challenges.extensions import db, limiter
from challenges.models import SignInAddress, User
from challenges.models.accounts import SignInCounter

SWEEP = 100  # expired counters deleted per attempt: more than an attempt creates, so the table stays small


def _limits():
    config = current_app.config
    return parse(config["SIGN_IN_ATTEMPTS_PER_ADDRESS"]), parse(config["SIGN_IN_ATTEMPTS_PER_ACCOUNT"])


def attempt(email: str, address: str | None) -> None:
    """Count a sign-in attempt before the password is checked, atomically, so that parallel guesses cannot
    all slip under the limit; 429 with Retry-After when this account may not be tried from here for now."""
    if not limiter.enabled:
        return
    per_address, per_account = _limits()
    known = _known(email, address)
    here, wait_here = _count(per_account if known else per_address, "address", email, address or "-")
    anywhere, wait_anywhere = _count(per_account, "account", email) if here else (True, 0)
    if not _in_redis() or redis_circuit.is_open(_redis_url()):
        _sweep()
    db.session.commit()  # the counts stand, whatever becomes of this attempt
    if not here:
        raise TooManyRequests(_("Too many failed sign-ins for this account from here; wait and try again."), wait_here)
    if not anywhere and not known:
        raise TooManyRequests(_("This account has had too many failed sign-ins; wait and try again."), wait_anywhere)


def succeeded(user: User, address: str | None) -> None:
    """Forget this address's attempts, and remember that the owner signs in from it (the caller commits)."""
    if limiter.enabled:
        key = _key("address", user.email, address or "-")
        if _in_redis():
            redis_circuit.through(_redis_url(), "sign_in_throttle", lambda: limiter.storage.clear(_redis_key(key)),
                                  lambda: _forget_in_database(key))
        else:
            _forget_in_database(key)
    if address:
        now = clock.now()
        db.session.execute(_insert(SignInAddress).values(
            user_id=user.id, address_digest=_digest(address), last_seen_at=now,
        ).on_conflict_do_update(index_elements=["user_id", "address_digest"], set_={"last_seen_at": now}))


def _count(limit: RateLimitItem, *what: str) -> tuple[bool, int]:
    """One more attempt on the counter of `what`: whether it is within the limit, and the seconds until the
    counter's window ends."""
    key = _key(*what)
    if _in_redis():
        return redis_circuit.through(_redis_url(), "sign_in_throttle", lambda: _count_in_redis(key, limit),
                                     lambda: _count_in_database(key, limit))
    return _count_in_database(key, limit)


def _count_in_redis(key: str, limit: RateLimitItem) -> tuple[bool, int]:
    attempts = limiter.storage.incr(_redis_key(key), limit.get_expiry())  # the window starts at the first
    return attempts <= limit.amount, int(limiter.storage.get_expiry(_redis_key(key)) - time.time()) + 1


def _count_in_database(key: str, limit: RateLimitItem) -> tuple[bool, int]:
    """Add an attempt to a counter in one statement (it locks the row, so parallel attempts queue); a counter
    whose window has passed starts again from one."""
    now = clock.now()
    counting = _insert(SignInCounter).values(key=key, attempts=1,
                                             expires_at=now + timedelta(seconds=limit.get_expiry()))
    over = SignInCounter.expires_at <= now
    counted = counting.on_conflict_do_update(index_elements=["key"], set_={
        "attempts": case((over, 1), else_=SignInCounter.attempts + 1),
        "expires_at": case((over, counting.excluded.expires_at), else_=SignInCounter.expires_at),
    }).returning(SignInCounter.attempts, SignInCounter.expires_at)
    attempts, expires_at = db.session.execute(counted).one()
    return attempts <= limit.amount, int((expires_at - now).total_seconds()) + 1


def _forget_in_database(key: str) -> None:
    db.session.execute(delete(SignInCounter).where(SignInCounter.key == key))


def _sweep() -> None:
    """Delete some expired counters, passing over those another sign-in holds (so that no one waits here)."""
    expired = select(SignInCounter.key).where(SignInCounter.expires_at <= clock.now()) \
        .limit(SWEEP).with_for_update(skip_locked=True)
    db.session.execute(delete(SignInCounter).where(SignInCounter.key.in_(expired)))


def _in_redis() -> bool:
    """Whether the counts live in Redis: they do when the rate limits are kept out of this process."""
    return not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")


def _redis_url() -> str:
    return current_app.config["RATELIMIT_STORAGE_URI"]


def _redis_key(key: str) -> str:
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}/sign-in/{key}"


def _insert(model):
    """An INSERT that can become an upsert, on either database."""
    return (postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite).insert(model)


def _known(email: str, address: str | None) -> bool:
    if not address:
        return False
    user_id = db.session.scalar(db.select(User.id).where(User.email == email))
    return user_id is not None and db.session.get(SignInAddress, (user_id, _digest(address))) is not None


def _key(*what: str) -> str:
    """A counter's key: what is counted, as a keyed hash (no email or address is stored in clear)."""
    return _digest("\0".join(("sign-in", *what)))


def _digest(text: str) -> str:
    """Addresses are kept as a keyed hash: the table is no list of where users have been."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), text.encode(), hashlib.sha256).hexdigest()
