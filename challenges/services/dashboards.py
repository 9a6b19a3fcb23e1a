"""The signed-in user's own lists across challenges: their submissions and the prizes they won."""
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from challenges import pagination
from challenges.models import Award, Challenge, Moderation, Status, Submission, SubmissionStatus, TeamMember, User
from challenges.services.submissions import as_seen_by


def _entered_by(actor: User):
    """The condition selecting the submissions that are the actor's: their own, and their teams'."""
    teams = select(TeamMember.team_id).where(TeamMember.user_id == actor.id)
    return or_(Submission.participant_id == actor.id, Submission.team_id.in_(teams))


def submissions(actor: User, *, limit: int, cursor: str | None, challenge_id: int | None = None,
                status: SubmissionStatus | None = None) -> pagination.Page:
    """The actor's submissions and their teams', newest first, in every challenge (hidden ones left out, as in
    each challenge's own list)."""
    query = select(Submission).options(selectinload(Submission.challenge), selectinload(Submission.participant),
                                       selectinload(Submission.team)) \
        .where(_entered_by(actor), Submission.moderation != Moderation.HIDDEN)
    if challenge_id is not None:
        query = query.where(Submission.challenge_id == challenge_id)
    if status is not None:
        query = query.where(Submission.status == status)
    page = pagination.paginate(query, [Submission.id], limit, cursor, descending=True)
    page.items = [as_seen_by(actor, submission) for submission in page.items]
    return page


def awards(actor: User, *, limit: int, cursor: str | None) -> pagination.Page:
    """The prizes won by the actor, alone or with a team, newest first, once each challenge's results are final
    (before that an award is provisional and confidential); cancelled ones too, with the reason, since they
    concern the winner."""
    query = select(Award).join(Award.submission).join(Challenge, Challenge.id == Award.challenge_id) \
        .options(selectinload(Award.prize), selectinload(Award.submission).selectinload(Submission.challenge)) \
        .where(_entered_by(actor), Challenge.status == Status.FINALISED)
    return pagination.paginate(query, [Award.id], limit, cursor, descending=True)
