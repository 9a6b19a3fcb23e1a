"""Stricter rate limits for the calls an attacker or a spammer would hammer."""
from flask import current_app
from flask_limiter.util import get_remote_address

from challenges.extensions import limiter


def _setting(name: str):
    return lambda: current_app.config[name]


sign_in = limiter.limit(_setting("RATELIMIT_SIGN_IN"), key_func=get_remote_address)
register = limiter.limit(_setting("RATELIMIT_REGISTER"), key_func=get_remote_address)
submit = limiter.limit(_setting("RATELIMIT_SUBMIT"))
export = limiter.limit(_setting("RATELIMIT_EXPORT"))
invite = limiter.shared_limit(_setting("RATELIMIT_INVITE"), scope="invite")  # one allowance for every way to invite
password_reset = limiter.shared_limit(_setting("RATELIMIT_PASSWORD_RESET"), scope="password-reset",
                                      key_func=get_remote_address)  # asking for links and using them: one allowance
