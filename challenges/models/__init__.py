"""SQLAlchemy models, one module per domain."""
from challenges.models.accounts import Token, User
from challenges.models.audit import AuditEntry
from challenges.models.awards import Award, AwardStatus
from challenges.models.idempotency import IdempotencyRecord
from challenges.models.challenges import Challenge, ChallengeTag, Evaluation, Phase, Prize, Status
from challenges.models.judging import Assignment, ConflictOfInterest, Criterion, Review
from challenges.models.scoring import AnswerKey, EvaluationStatus, Prediction
from challenges.models.organisations import Membership, Organisation, Role
from challenges.models.submissions import (
    Participation, Revision, Submission, SubmissionStatus,
)

__all__ = [
    "AnswerKey", "Assignment", "ConflictOfInterest", "Criterion", "EvaluationStatus", "Prediction", "Review",
    "AuditEntry", "Award", "AwardStatus", "Challenge", "ChallengeTag", "Evaluation", "IdempotencyRecord", "Membership",
    "Organisation", "Participation", "Phase", "Prize", "Revision", "Role", "Status", "Submission",
    "SubmissionStatus", "Token", "User",
]
