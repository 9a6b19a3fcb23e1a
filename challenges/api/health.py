"""Liveness and readiness probes."""
from challenges.api.blueprint import Blueprint

from challenges.services import health

bp = Blueprint("health", __name__, description="Process and database health.")


@bp.get("/healthz")
@bp.response(200)
def healthz():
    """The process is up."""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.response(200)
def readyz():
    """The database is reachable."""
    health.check_database()
    return {"status": "ok"}
