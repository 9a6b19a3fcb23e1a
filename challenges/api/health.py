"""Liveness and readiness probes: never rate limited, so that they answer whatever becomes of Redis."""
from challenges.api.blueprint import Blueprint
from challenges.extensions import limiter
from challenges.schemas.health import Liveness, Readiness
from challenges.services import health

bp = Blueprint("health", __name__, description="Process health, and the dependencies it serves with.")


@bp.get("/healthz")
@bp.response(200, Liveness)
@limiter.exempt
def healthz():
    """The process is up (whatever its dependencies do)."""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.response(200, Readiness, description="Ready: every dependency answers (`ok`), or one the service can do "
                                         "without does not (`degraded`).")
@bp.alt_response(503, schema=Readiness, description="Not ready: the database does not answer (`unavailable`).")
@limiter.exempt
def readyz():
    """Each dependency checked; 503 only when the database does not answer."""
    report = health.readiness()
    return report, 503 if report["status"] == "unavailable" else 200
