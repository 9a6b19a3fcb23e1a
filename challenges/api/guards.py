"""Checks that run before the body is read, so 401, 404 and 403 win over 422."""
from functools import wraps

from challenges.auth import current_user


def guard(check):
    """Run check(actor, **path_args) before the view (and before its body is parsed)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check(current_user(), **kwargs)
            return view(*args, **kwargs)

        return wrapper

    return decorator
