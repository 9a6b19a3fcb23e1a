"""Checks that run before the body is read, so 401, 404 and 403 win over 422."""
from functools import wraps

from challenges.auth import current_user


def guard(check):
    """Run check(actor, first path id), a service function, before the view parses its body."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check(current_user(), next(iter(kwargs.values())))
            return view(*args, **kwargs)

        return wrapper

    return decorator
