"""Checks that run before the body is read, so 401, 404 and 403 win over 422."""
from functools import wraps

from challenges.auth import current_user


def guard_path(check):
    """Run check(actor, *every path value), a service function, before the view parses its body."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check(current_user(), *kwargs.values())
            return view(*args, **kwargs)

        return wrapper

    return decorator


def guard(check):
    """Run check(actor, first path id), a service function, before the view parses its body."""
    return guard_path(lambda actor, first, *_: check(actor, first))


def load(check, name: str):
    """Like guard, and hand what check(actor, first path id) loaded to the view as `name`, in place of the id."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            path_id = kwargs.pop(next(iter(kwargs)))
            kwargs[name] = check(current_user(), path_id)
            return view(*args, **kwargs)

        return wrapper

    return decorator
