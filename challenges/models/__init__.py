"""SQLAlchemy models, one module per domain."""
from challenges.models.accounts import AccountToken, AccountTokenPurpose, SignInAddress, Token, User
from challenges.models.attachments import Attachment
from challenges.models.audit import AuditEntry
from challenges.models.awards import Award, AwardStatus
from challenges.models.idempotency import IdempotencyRecord
from challenges.models.communication import Announcement, AnnouncementKind, Question
from challenges.models.events import EVENT_TYPES, Delivery, DeliveryStatus, Event, Webhook
from challenges.models.notifications import EmailStatus, Notification
from challenges.models.challenges import Challenge, ChallengeTag, Evaluation, Phase, Prize, RegistrationMode, Status
from challenges.models.judging import Assignment, ConflictOfInterest, Criterion, Review
from challenges.models.scoring import AnswerKey, Board, BoardEntry, EvaluationStatus, Prediction
from challenges.models.teams import Invitation, InvitationStatus, Team, TeamMember
from challenges.models.moderation import CaseStatus, Flag, Moderation, ModerationCase, ObjectType
from challenges.models.organisations import (
    Membership, Organisation, OrganisationInvitation, OrganisationInvitationStatus, Role,
)
from challenges.models.submissions import (
    Participation, RegistrationStatus, Revision, Submission, SubmissionStatus,
)

__all__ = [
    "CaseStatus", "Flag", "Moderation", "ModerationCase", "ObjectType",
    "AccountToken", "AccountTokenPurpose", "SignInAddress",
    "Invitation", "InvitationStatus", "Team", "TeamMember",
    "Attachment",
    "Announcement", "AnnouncementKind", "Delivery", "DeliveryStatus", "EVENT_TYPES", "EmailStatus", "Event",
    "Notification", "Question", "Webhook",
    "AnswerKey", "Assignment", "Board", "BoardEntry", "ConflictOfInterest", "Criterion", "EvaluationStatus",
    "Prediction", "Review",
    "AuditEntry", "Award", "AwardStatus", "Challenge", "ChallengeTag", "Evaluation", "IdempotencyRecord", "Membership",
    "Organisation", "OrganisationInvitation", "OrganisationInvitationStatus", "Participation", "Phase", "Prize",
    "RegistrationMode", "RegistrationStatus", "Revision", "Role", "Status", "Submission", "SubmissionStatus", "Token",
    "User",
]
