"""The probes' answers: liveness, and the readiness report of each dependency."""
from marshmallow import fields, validate

from challenges.schemas.common import Schema


class Liveness(Schema):
    """The process is up."""

    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class DependencyCheck(Schema):
    """One dependency: whether it answers, and when it does not, what goes on without it."""

    status = fields.String(required=True, validate=validate.OneOf(["ok", "down", "not configured"]))
    detail = fields.String(metadata={"description": "While it is down: what fails, and what goes on without it."})


class DependencyChecks(Schema):
    """Each dependency of the service."""

    database = fields.Nested(DependencyCheck, required=True,
                             metadata={"description": "Needed: while it is down the instance is not ready (503)."})
    redis = fields.Nested(DependencyCheck, required=True, metadata={
        "description": "Rate limits, jobs and the read cache; the service goes on without it (`not configured`: "
                       "no Redis is set)."})
    storage = fields.Nested(DependencyCheck, required=True, metadata={
        "description": "Attachments, answer keys and predictions; only file uploads and downloads need it."})


class Readiness(Schema):
    """Whether this instance can serve: `unavailable` (503) only when the database does not answer."""

    status = fields.String(required=True, validate=validate.OneOf(["ok", "degraded", "unavailable"]), metadata={
        "description": "`ok`: everything answers; `degraded`: something the service can do without does not; "
                       "`unavailable`: the database does not answer."})
    checks = fields.Nested(DependencyChecks, required=True)
