"""Teams: forming, inviting, joining, leaving, merging, and how a prize is split."""
from sqlalchemy import delete as sql_delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, NotFound, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    Challenge, Invitation, InvitationStatus, Phase, Submission, Team, TeamMember, User,
)
from challenges.services import accounts, audit, boards, challenges, notifications, policy, submissions


def _require_teams(challenge: Challenge) -> None:
    if challenge.max_team_size <= 1:
        raise Conflict("This challenge is for individuals: it does not allow teams.")


def _require_forming(challenge: Challenge, until=None) -> None:
    """Teams change while the challenge is upcoming or open (and merges until the merge deadline)."""
    now = clock.now()
    if challenge.phase_at(now) not in (Phase.UPCOMING, Phase.OPEN):
        raise Conflict("Teams are fixed once the challenge has closed.")
    if until and now >= until:
        raise Conflict("The team merge deadline has passed.")


def create(actor: User, challenge_id: int, name: str) -> Team:
    """Form a team with the actor as captain; their own submissions move into it."""
    challenge = submissions.submittable(actor, challenge_id)
    _require_teams(challenge)
    submissions.join_locked(actor, challenge)  # this participant's team changes and submissions queue here
    _require_forming(challenge)
    if submissions.team_id_of(actor.id, challenge.id):
        raise Conflict("You are already in a team of this challenge.")
    team = Team(challenge_id=challenge.id, name=name, captain_id=actor.id, created_at=clock.now())
    db.session.add(team)
    _flush_or_conflict("A team of this challenge already has this name.")
    _join(team, actor)
    audit.record(actor, "team.created", team, challenge.organisation_id, name=name)
    db.session.commit()
    return team


def _flush_or_conflict(message: str) -> None:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(message) from None


def _join(team: Team, user: User) -> None:
    """Add the user to the team, with their solo submissions; the split goes back to equal shares."""
    db.session.add(TeamMember(team_id=team.id, user_id=user.id, challenge_id=team.challenge_id,
                              joined_at=clock.now()))
    _flush_or_conflict("You are already in a team of this challenge.")
    db.session.execute(update(Submission).where(
        submissions.entrant_filter(user.id, team.challenge_id, None)).values(team_id=team.id)
        .execution_options(synchronize_session=False))
    boards.changed(team.challenge_id, boards.entrant(user.id), boards.entrant(team_id=team.id))
    _reset_selection(team.id)
    team.weights = None
    db.session.expire(team, ["members"])


def _reset_selection(team_id: int) -> None:
    """A team that changed chooses its final submissions afresh: its members' choices may add up past the limit."""
    db.session.execute(update(Submission).where(Submission.team_id == team_id).values(selected=False)
                       .execution_options(synchronize_session=False))


def visible(actor: User | None, team_id: int) -> Team:
    """A team the actor may see: its members, those invited to it, and the organisation's members."""
    team = db.session.get(Team, team_id)
    if team is not None:
        challenge = challenges.visible(actor, team.challenge_id)
        allowed = actor is not None and (
            db.session.get(TeamMember, (team.id, actor.id)) is not None
            or _sees_all_teams(actor, challenge)
            or db.session.scalar(select(Invitation.id).where(
                Invitation.team_id == team.id, Invitation.user_id == actor.id,
                Invitation.status == InvitationStatus.PENDING)) is not None)
    policy.visible_or_404(team is not None and allowed, "team")
    return team


def _sees_all_teams(actor: User, challenge: Challenge) -> bool:
    """The organisation's members see every team, except blind judges, to whom a roster names the authors."""
    return policy.is_member(actor, challenge.organisation_id) and not policy.authors_hidden(actor, challenge)


def captained(actor: User, team_id: int) -> Team:
    """A team the actor captains; 404 when hidden, 403 for its other members."""
    team = visible(actor, team_id)
    policy.require(team.captain_id == actor.id, "Only the team's captain may do this.")
    return team


def _locked(team: Team) -> Team:
    """The team re-read under a row lock; NotFound when it was dissolved or merged away meanwhile."""
    locked = db.session.get(Team, team.id, with_for_update=True, populate_existing=True)
    policy.visible_or_404(locked is not None, "team")
    return locked


def _challenge(team: Team) -> Challenge:
    return db.session.get(Challenge, team.challenge_id)


def for_challenge(actor: User, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """A challenge's teams: all of them for members, the actor's own for everyone else."""
    challenge = challenges.visible(actor, challenge_id)
    query = select(Team).options(selectinload(Team.members).selectinload(TeamMember.user)) \
        .where(Team.challenge_id == challenge.id)
    if not _sees_all_teams(actor, challenge):
        query = query.where(Team.id == submissions.team_id_of(actor.id, challenge.id))
    return pagination.paginate(query, [Team.id], limit, cursor)


def invite(actor: User, team_id: int, *, user_id: int | None = None, email: str | None = None) -> Invitation:
    """Invite a participant by id or email (the captain); they are told in-app."""
    team = captained(actor, team_id)
    challenge = _challenge(team)
    invitee = db.session.get(User, user_id) if user_id else accounts.find_by_email(email)
    if invitee is None:
        raise ValidationFailed("user_id" if user_id else "email", "No account has this id or email.")
    if not policy.may_submit(invitee, challenge):
        raise ValidationFailed("user_id" if user_id else "email", "The organisation's members cannot join a team.")
    _require_forming(challenge)
    if db.session.get(TeamMember, (team.id, invitee.id)):
        raise Conflict("This participant is already in the team.")
    invitation = Invitation(team_id=team.id, user_id=invitee.id, invited_by=actor.id, created_at=clock.now())
    db.session.add(invitation)
    _flush_or_conflict("This participant already has a pending invitation to the team.")
    notifications.to_users("team.invited", [invitee.id], {
        "team": {"id": team.id, "name": team.name}, "invitation_id": invitation.id,
        "challenge": {"id": challenge.id, "title": challenge.title}})
    audit.record(actor, "team.invited", team, challenge.organisation_id, user_id=invitee.id)
    db.session.commit()
    return invitation


def invitations_of(actor: User, limit: int, cursor: str | None) -> pagination.Page:
    """The actor's pending invitations, newest first."""
    query = select(Invitation).where(Invitation.user_id == actor.id, Invitation.status == InvitationStatus.PENDING)
    return pagination.paginate(query, [Invitation.id], limit, cursor, descending=True)


def own_invitation(actor: User, invitation_id: int) -> Invitation:
    """An invitation to the actor; NotFound for anyone else's."""
    invitation = db.session.get(Invitation, invitation_id)
    policy.visible_or_404(invitation is not None and invitation.user_id == actor.id, "invitation")
    return invitation


def accept(actor: User, invitation_id: int) -> Invitation:
    """Join the team: 409 when already in a team, when it is full, or when the submissions would not fit."""
    invitation = own_invitation(actor, invitation_id)
    challenge = submissions.submittable(actor, invitation.team.challenge_id)
    submissions.join_locked(actor, challenge)  # locks: the participant first, then the team
    team = _locked(invitation.team)
    invitation = _locked_invitation(actor, invitation_id)
    _require_forming(challenge)
    if submissions.team_id_of(actor.id, challenge.id):
        raise Conflict("You are already in a team of this challenge; leave it first.")
    if len(team.members) >= challenge.max_team_size:
        raise Conflict(f"The team is full: at most {challenge.max_team_size} members.")
    _require_fit(challenge, submissions.counted(None, challenge.id, team.id)
                 + submissions.counted(actor.id, challenge.id, None))
    _join(team, actor)
    invitation.status, invitation.answered_at = InvitationStatus.ACCEPTED, clock.now()
    audit.record(actor, "team.joined", team, challenge.organisation_id, user_id=actor.id)
    db.session.commit()
    return invitation


def decline(actor: User, invitation_id: int) -> Invitation:
    """Turn an invitation down."""
    own_invitation(actor, invitation_id)
    invitation = _locked_invitation(actor, invitation_id)
    invitation.status, invitation.answered_at = InvitationStatus.DECLINED, clock.now()
    db.session.commit()
    return invitation


def _locked_invitation(actor: User, invitation_id: int) -> Invitation:
    """The invitation re-read under a row lock, still pending; NotFound when its team is gone."""
    invitation = db.session.get(Invitation, invitation_id, with_for_update=True, populate_existing=True)
    policy.visible_or_404(invitation is not None and invitation.user_id == actor.id, "invitation")
    _require_pending(invitation)
    return invitation


def _require_pending(invitation: Invitation) -> None:
    if invitation.status is not InvitationStatus.PENDING:
        raise Conflict(f"This invitation is already {invitation.status}.")


def _require_fit(challenge: Challenge, active: int) -> None:
    limit = challenge.max_submissions_per_participant
    if limit is not None and active > limit:
        raise Conflict(f"Together these submissions ({active}) would exceed the limit of {limit}.")


def remove_member(actor: User, team_id: int, user_id: int) -> None:
    """Leave a team, or remove a member (the captain); the longest-standing member captains next, and the
    last to leave dissolves the team (its submissions go back to their authors)."""
    team = visible(actor, team_id)
    if user_id != actor.id:
        policy.require(team.captain_id == actor.id, "Only the captain may remove other members.")
    challenge = _challenge(team)
    team = _locked(team)
    _require_forming(challenge)
    member = db.session.get(TeamMember, (team.id, user_id))
    if member is None:
        raise NotFound("No such member of this team.")
    db.session.delete(member)
    # The leaver takes back what they wrote: the team keeps only its members' work, and nobody ends up
    # over a limit when a team shrinks or dissolves.
    db.session.execute(update(Submission).where(Submission.team_id == team.id, Submission.participant_id == user_id)
                       .values(team_id=None).execution_options(synchronize_session=False))
    boards.changed(team.challenge_id, boards.entrant(user_id), boards.entrant(team_id=team.id))
    db.session.flush()
    db.session.expire(team, ["members"])
    action = "team.left" if user_id == actor.id else "team.member_removed"
    audit.record(actor, action, team, challenge.organisation_id, user_id=user_id)
    if not team.members:
        audit.record(actor, "team.dissolved", team, challenge.organisation_id, name=team.name)
        db.session.execute(sql_delete(Team).where(Team.id == team.id))
    else:
        team.captain_id = team.members[0].user_id if team.captain_id == user_id else team.captain_id
        team.weights = None
    db.session.commit()


def merge(actor: User, team_id: int, other_id: int) -> tuple[Team, bool]:
    """Ask to merge with another team, or complete the other captain's request; True once merged."""
    team = captained(actor, team_id)
    other = db.session.get(Team, other_id)
    if other is None or other.challenge_id != team.challenge_id or other.id == team.id:
        raise ValidationFailed("team_id", "Name another team of this challenge.")
    challenge = _challenge(team)
    for locked in sorted((team, other), key=lambda t: t.id):  # one order for every caller: no deadlock
        _locked(locked)
    _require_forming(challenge, until=challenge.team_merge_deadline)
    if len(team.members) + len(other.members) > challenge.max_team_size:
        raise Conflict(f"Together the teams would exceed {challenge.max_team_size} members.")
    _require_fit(challenge, submissions.counted(None, challenge.id, team.id)
                 + submissions.counted(None, challenge.id, other.id))
    if other.merge_target_id != team.id:
        team.merge_target_id = other.id
        audit.record(actor, "team.merge_requested", team, challenge.organisation_id, with_team_id=other.id)
        db.session.commit()
        return team, False
    _absorb(other, team)
    audit.record(actor, "team.merged", other, challenge.organisation_id, absorbed_team_id=team.id)
    db.session.commit()
    return other, True


def _absorb(survivor: Team, absorbed: Team) -> None:
    """Move the absorbed team's members and submissions into the survivor, then drop it."""
    for model in (TeamMember, Submission):
        db.session.execute(update(model).where(model.team_id == absorbed.id).values(team_id=survivor.id)
                           .execution_options(synchronize_session=False))
    _reset_selection(survivor.id)
    boards.changed(survivor.challenge_id, boards.entrant(team_id=survivor.id), boards.entrant(team_id=absorbed.id))
    survivor.weights, survivor.merge_target_id = None, None
    db.session.expunge(absorbed)  # its members moved: the ORM must not delete them along with it
    db.session.execute(sql_delete(Team).where(Team.id == absorbed.id))
    db.session.expire(survivor, ["members"])


def set_split(actor: User, team_id: int, weights: dict[str, int]) -> Team:
    """Set how the team shares a prize: positive weights for every member, until the deadline."""
    team = _locked(captained(actor, team_id))
    if set(weights) != {str(member.user_id) for member in team.members}:
        raise ValidationFailed("weights", "Give one weight for each member of the team, and only for them.")
    _require_forming(_challenge(team))
    team.weights = dict(weights)
    audit.record(actor, "team.split_set", team, _challenge(team).organisation_id, weights=team.weights)
    db.session.commit()
    return team
