"""Teams: forming, inviting, joining, leaving, merging, and how a prize is split."""
from flask_babel import gettext as _
from sqlalchemy import delete as sql_delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, NotFound, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    Challenge, Evaluation, Invitation, InvitationStatus, ObjectType, Participation, Phase, Submission, Team, TeamMember,
    User,
)
from challenges.services import (
    accounts, audit, boards, challenges, moderation, notifications, policy, scoring, submissions,
)


def _require_teams(challenge: Challenge) -> None:
    if challenge.max_team_size <= 1:
        raise Conflict(_("This challenge is for individuals: it does not allow teams."))


def _require_forming(challenge: Challenge, until=None) -> None:
    """Teams change while the challenge is upcoming or open (and merges until the merge deadline)."""
    now = clock.now()
    if challenge.phase_at(now) not in (Phase.UPCOMING, Phase.OPEN):
        raise Conflict(_("Teams are fixed once the challenge has closed."))
    if until and now >= until:
        raise Conflict(_("The team merge deadline has passed."))


def create(actor: User, challenge_id: int, name: str) -> Team:
    """Form a team with the actor as captain; their own submissions move into it."""
    challenge = submissions.submittable(actor, challenge_id)
    _require_teams(challenge)
    submissions.join_locked(actor, challenge)  # this participant's team changes and submissions queue here
    _require_forming(challenge)
    if submissions.team_id_of(actor.id, challenge.id):
        raise Conflict(_("You are already in a team of this challenge."))
    team = Team(challenge_id=challenge.id, name=name, captain_id=actor.id, created_at=clock.now())
    db.session.add(team)
    _flush_or_conflict(_("A team of this challenge already has this name."))
    moderation.screen(actor, ObjectType.TEAM, team)
    _join(team, actor)
    audit.record(actor, "team.created", team, challenge.organisation_id, name=team.name)  # "Team <id>" when held
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
    _flush_or_conflict(_("You are already in a team of this challenge."))
    db.session.execute(update(Submission).where(
        submissions.entrant_filter(user.id, team.challenge_id, None)).values(team_id=team.id)
        .execution_options(synchronize_session=False))
    boards.changed(team.challenge_id, boards.entrant(user.id), boards.entrant(team_id=team.id))
    _reset_selection(team.id)
    db.session.expire(team, ["members"])
    _equal_shares(team, bool(team.weights))


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


class TeamView:
    """A team as one reader sees it: its members and platform admins read the name its captain chose, even while it
    is held or hidden as spam; everyone else reads what every other page shows, "Team <id>" then."""

    def __init__(self, team: Team, *, own: bool):
        self._team, self._own = team, own

    def __getattr__(self, name):
        return getattr(self._team, name)

    @property
    def name(self) -> str:
        """The chosen name for the team's own, else the name every page shows."""
        return self._team.chosen_name if self._own else self._team.name


def as_seen_by(actor: User | None, team: Team) -> TeamView:
    """The team as the actor may see it."""
    own = actor is not None and (actor.is_admin or any(member.user_id == actor.id for member in team.members))
    return TeamView(team, own=own)


def read(actor: User | None, team_id: int) -> TeamView:
    """A team as the actor may see it; 404 to those who may not see it at all."""
    return as_seen_by(actor, visible(actor, team_id))


def _sees_all_teams(actor: User, challenge: Challenge) -> bool:
    """The organisation's members see every team, except blind judges, to whom a roster names the authors."""
    return policy.is_member(actor, challenge.organisation_id) and not policy.authors_hidden(actor, challenge)


def captained(actor: User, team_id: int) -> Team:
    """A team the actor captains; 404 when hidden, 403 for its other members."""
    team = visible(actor, team_id)
    policy.require(team.captain_id == actor.id, _("Only the team's captain may do this."))
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
    page = pagination.paginate(query, [Team.id], limit, cursor)
    page.items = [as_seen_by(actor, team) for team in page.items]
    return page


def invite(actor: User, team_id: int, *, user_id: int | None = None, email: str | None = None) -> Invitation:
    """Invite a participant by id or email (the captain); they are told in-app."""
    team = captained(actor, team_id)
    challenge = _challenge(team)
    _require_forming(challenge)  # first: a closed challenge answers alike whoever is named
    invitee = db.session.get(User, user_id) if user_id else accounts.find_by_email(email)
    # One answer for an unknown account and for one that may not join (the organisation's members, platform admins,
    # the suspended): a captain learns nobody's role or standing by inviting them.
    if invitee is None or invitee.suspended_at or invitee.erased_at or not policy.may_submit(invitee, challenge):
        raise ValidationFailed("user_id" if user_id else "email", _("No participant who may join a team has this "
                                                                    "id or email."))
    if db.session.get(TeamMember, (team.id, invitee.id)):
        raise Conflict(_("This participant is already in the team."))
    invitation = Invitation(team_id=team.id, user_id=invitee.id, invited_by=actor.id, created_at=clock.now())
    db.session.add(invitation)
    _flush_or_conflict(_("This participant already has a pending invitation to the team."))
    notifications.to_users("team.invited", [invitee.id], {
        "team": _team_data(team), "invitation_id": invitation.id, "challenge": _challenge_data(challenge)})
    audit.record(actor, "team.invited", team, challenge.organisation_id, user_id=invitee.id)
    db.session.commit()
    return invitation


def _team_data(team: Team) -> dict:
    return {"id": team.id, "name": team.name}


def _challenge_data(challenge: Challenge) -> dict:
    return {"id": challenge.id, "title": challenge.title}


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
    participation = submissions.join_locked(actor, challenge)  # locks: the participant first, then the team
    team = _locked(invitation.team)
    invitation = _locked_invitation(actor, invitation_id)
    _require_forming(challenge)
    if submissions.team_id_of(actor.id, challenge.id):
        raise Conflict(_("You are already in a team of this challenge; leave it first."))
    if len(team.members) >= challenge.max_team_size:
        raise Conflict(_("The team is full: at most %(count)s members.", count=challenge.max_team_size))
    _require_room(challenge, participation, team.id, None)
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
        raise Conflict(_("This invitation is already %(status)s.", status=invitation.status))


def _require_room(challenge: Challenge, participation: Participation, *entrants: int | None) -> None:
    """Conflict unless the submissions of these entrants (team ids; None for the participant alone) fit one
    team's limits: in all and, on a scored challenge, today (UTC). Every member's submissions are in their
    entrant's, so this counts all that the members made; a join or a merge never adds up quotas."""
    active = sum(submissions.active_count(participation, entrant) for entrant in entrants)
    limit = challenge.max_submissions_per_participant
    if limit is not None and active > limit:
        raise Conflict(_("Together these submissions (%(count)s) would exceed the limit of %(limit)s.", count=active,
                         limit=limit))
    if challenge.evaluation is Evaluation.SCORED:
        now, daily = clock.now(), challenge.scoring["max_daily_submissions"]
        today = sum(scoring.used_on(participation, entrant, now) for entrant in entrants)
        if today > daily:
            raise Conflict(_("Together these submissions of today, UTC (%(count)s), would exceed the daily limit "
                             "of %(limit)s.", count=today, limit=daily))


def remove_member(actor: User, team_id: int, user_id: int) -> None:
    """Leave a team, or remove a member (the captain); the longest-standing member captains next, and the
    last to leave dissolves the team (its submissions go back to their authors)."""
    team = visible(actor, team_id)
    if user_id != actor.id:
        policy.require(team.captain_id == actor.id, _("Only the captain may remove other members."))
    challenge = _challenge(team)
    team = _locked(team)
    _require_forming(challenge)
    member = db.session.get(TeamMember, (team.id, user_id))
    if member is None:
        raise NotFound(_("No such member of this team."))
    _leave(actor, team, member, challenge)
    db.session.commit()


def leave_forming_teams(user: User) -> None:
    """Take the user out of every team that may still change, as if they left it (not committed); a team whose
    challenge has closed keeps them: it entered as it was, and the organisation's records show it so."""
    member_of = select(TeamMember.team_id).where(TeamMember.user_id == user.id).order_by(TeamMember.team_id)
    for team_id in db.session.scalars(member_of).all():
        team = db.session.get(Team, team_id, with_for_update=True, populate_existing=True)  # in id order
        # Read again under the lock: the user may have left, or the team dissolved, while we waited.
        member = team and db.session.get(TeamMember, (team.id, user.id), populate_existing=True)
        challenge = team and _challenge(team)
        if member is not None and challenge.phase_at(clock.now()) in (Phase.UPCOMING, Phase.OPEN):
            _leave(user, team, member, challenge)


def _leave(actor: User, team: Team, member: TeamMember, challenge: Challenge) -> None:
    """Remove a member from a locked team (not committed): their submissions go back to them, the captaincy
    passes on, and the last to leave dissolves the team."""
    user_id = member.user_id
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
        _equal_shares(team, bool(team.weights))


def merge(actor: User, team_id: int, other_id: int) -> tuple[Team, bool]:
    """Ask to merge with another team, or complete the request its captain made; True once merged."""
    team = captained(actor, team_id)
    if other_id == team.id:
        raise ValidationFailed("team_id", _("Name another team than your own."))
    challenge = _challenge(team)
    other = _locked_with(team, other_id)
    _require_forming(challenge, until=challenge.team_merge_deadline)
    if other is None or other.merge_target_id != team.id:
        # A request: the same answer whatever the id names (a hidden team, another challenge's, none), and
        # nothing about the other team is checked or told until its captain has asked in turn.
        team.merge_target_id = other.id if other else None
        audit.record(actor, "team.merge_requested", team, challenge.organisation_id, with_team_id=other_id)
        db.session.commit()
        return team, False
    if len(team.members) + len(other.members) > challenge.max_team_size:
        raise Conflict(_("Together the teams would exceed %(count)s members.", count=challenge.max_team_size))
    _require_room(challenge, submissions.participation_of(actor, challenge), team.id, other.id)
    _absorb(other, team)
    audit.record(actor, "team.merged", other, challenge.organisation_id, absorbed_team_id=team.id)
    db.session.commit()
    return other, True


def _locked_with(team: Team, other_id: int) -> Team | None:
    """Lock the team and, when the id names another team of its challenge, that one too, lower id first as every
    caller does (no deadlock); that other team, or None."""
    other = db.session.get(Team, other_id)
    ids = sorted({team.id, other.id} if other and other.challenge_id == team.challenge_id else {team.id})
    locked = {i: db.session.get(Team, i, with_for_update=True, populate_existing=True) for i in ids}
    policy.visible_or_404(locked[team.id] is not None, "team")
    return locked.get(other_id)


def _absorb(survivor: Team, absorbed: Team) -> None:
    """Move the absorbed team's members and submissions into the survivor, then drop it."""
    for model in (TeamMember, Submission):
        db.session.execute(update(model).where(model.team_id == absorbed.id).values(team_id=survivor.id)
                           .execution_options(synchronize_session=False))
    _reset_selection(survivor.id)
    boards.changed(survivor.challenge_id, boards.entrant(team_id=survivor.id), boards.entrant(team_id=absorbed.id))
    survivor.merge_target_id, weighted = None, bool(survivor.weights or absorbed.weights)
    db.session.expunge(absorbed)  # its members moved: the ORM must not delete them along with it
    db.session.execute(sql_delete(Team).where(Team.id == absorbed.id))
    db.session.expire(survivor, ["members"])
    _equal_shares(survivor, weighted)


def set_split(actor: User, team_id: int, weights: dict[str, int]) -> Team:
    """Set how the team shares a prize: positive weights for every member, until the deadline; every member is
    told of a change."""
    team = _locked(captained(actor, team_id))
    if set(weights) != {str(member.user_id) for member in team.members}:
        raise ValidationFailed("weights", _("Give one weight for each member of the team, and only for them."))
    challenge = _challenge(team)
    _require_forming(challenge)
    before, team.weights = team.split, dict(weights)
    if team.split != before:
        _tell_split(team, challenge)
    audit.record(actor, "team.split_set", team, challenge.organisation_id, weights=team.weights)
    db.session.commit()
    return team


def _equal_shares(team: Team, weighted: bool) -> None:
    """Back to equal shares after a change of members; when weights had been set, every member hears of it."""
    team.weights = None
    if weighted:
        _tell_split(team, _challenge(team))


def _tell_split(team: Team, challenge: Challenge) -> None:
    """Notify every member of the team's split, with their own weight and share: no share changes unseen."""
    split = team.split
    notifications.to_users("team.split_changed", [s["user_id"] for s in split], {
        "team": _team_data(team), "challenge": _challenge_data(challenge), "split": split},
        extra={s["user_id"]: {"your_weight": s["weight"], "your_share": s["share"]} for s in split})
