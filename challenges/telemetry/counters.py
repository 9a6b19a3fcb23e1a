"""What the product did, counted for Prometheus: submissions, held content, evaluations, deliveries, emails, jobs."""
from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session

from challenges.extensions import db

SUBMISSIONS_RECEIVED = Counter(
    "challenges_submissions_received", "Submissions stored, by the challenge's evaluation (judged, scored).",
    ["evaluation"])
CONTENT_HELD = Counter(
    "challenges_content_held", "New or edited content held for review as likely spam, by kind of object.",
    ["object_type"])
EVALUATIONS = Counter(
    "challenges_evaluations", "Scored submissions evaluated, by outcome (scored, failed).", ["status"])
WEBHOOK_DELIVERIES = Counter(
    "challenges_webhook_deliveries",
    "Webhook delivery attempts, by outcome: delivered, pending (failed, to be retried), failed (given up).",
    ["outcome"])
EMAILS = Counter(
    "challenges_emails", "Email attempts, by outcome: sent, pending (failed, to be retried), failed (given up).",
    ["outcome"])
JOBS_RUN = Counter("challenges_jobs", "Background jobs run, by job, those that raised included.", ["job"])
JOB_FAILURES = Counter("challenges_job_failures", "Background jobs that raised, by job.", ["job"])

PENDING = "challenges.telemetry.pending"  # session.info: counts that wait for the transaction's commit


def count_on_commit(counter: Counter, amount: float = 1) -> None:
    """Count once the current transaction commits, and not at all if it is rolled back: only what happened."""
    db.session.info.setdefault(PENDING, []).append((counter, amount))


@event.listens_for(Session, "after_commit")
def _count(session: Session) -> None:
    if not session.in_nested_transaction():  # releasing a savepoint commits nothing yet
        for counter, amount in session.info.pop(PENDING, ()):
            counter.inc(amount)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit: nothing happened
        session.info.pop(PENDING, None)
