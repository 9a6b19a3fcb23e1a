"""Anonymous reads answered from the read cache: every anonymous caller gets the same bytes for the same query."""
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps

from flask import current_app, request

from challenges import clock, read_cache


def anonymous_cache(name: str, params: Iterable[str], boundary: Callable[[dict | list], datetime | None]):
    """Answer anonymous GETs from the cache; keep a 200 until the data changes or `boundary(body)` passes.

    Only the named query parameters make up the key: the others change nothing in the answer, and must not
    let a caller fill the cache with copies of it.
    """
    params = frozenset(params)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if "Authorization" in request.headers:  # signed-in callers may see more: no shared answer
                return view(*args, **kwargs)
            query = sorted((k, v) for k, v in request.args.items(multi=True) if k in params)
            key = read_cache.entry_key(f"{name}:{request.path}:{query}")
            body, generation = read_cache.lookup(key)
            if body is not None:
                return current_app.response_class(body, mimetype="application/json")
            response = view(*args, **kwargs)
            if generation is not None and response.status_code == 200:
                read_cache.keep(key, generation, response.get_data(), boundary(response.get_json()))
            return response

        return wrapper

    return decorator


def next_phase_boundary(challenges: Iterable[dict]) -> datetime | None:
    """The earliest future moment at which one of these published challenges changes phase."""
    now = clock.now()
    moments = (datetime.fromisoformat(challenge[name]) for challenge in challenges
               if challenge["status"] == "published" for name in ("opens_at", "closes_at") if challenge[name])
    return min((moment for moment in moments if moment > now), default=None)
