"""Teams: forming, inviting, joining, leaving, merging, and the prize split."""
from challenges.api import limits
from challenges.api.blueprint import Blueprint, no_body
from challenges.api.guards import guard
from challenges.api.idempotent import idempotent
from challenges.auth import current_user, login_required
from challenges.schemas.common import PageArgs, page_of
from challenges.schemas.teams import InvitationIn, InvitationOut, MergeIn, SplitIn, TeamIn, TeamOut
from challenges.services import submissions, teams

bp = Blueprint("teams", __name__, url_prefix="/api/v1", description="Teams.")


@bp.post("/challenges/<id:challenge_id>/teams")
@login_required
@guard(submissions.submittable)
@idempotent
@bp.arguments(TeamIn)
@bp.response(201, TeamOut)
def create_team(data, challenge_id):
    """Form a team and captain it; one's own submissions move into it."""
    actor = current_user()
    return teams.as_seen_by(actor, teams.create(actor, challenge_id, data["name"]))


@bp.get("/challenges/<id:challenge_id>/teams")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(TeamOut))
def list_teams(args, challenge_id):
    """A challenge's teams: all for members, one's own for participants."""
    return teams.for_challenge(current_user(), challenge_id, **args)


@bp.get("/teams/<id:team_id>")
@login_required
@bp.response(200, TeamOut)
def get_team(team_id):
    """A team, for its members, those invited, and the organisation."""
    return teams.read(current_user(), team_id)


@bp.post("/teams/<id:team_id>/invitations")
@limits.invite
@login_required
@guard(teams.captained)
@idempotent
@bp.arguments(InvitationIn)
@bp.response(201, InvitationOut)
def invite(data, team_id):
    """Invite a participant by user id or email (the captain; RATELIMIT_INVITE); one 422 for any who cannot join."""
    return teams.invite(current_user(), team_id, **data)


@bp.get("/invitations")
@login_required
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_of(InvitationOut))
def list_invitations(args):
    """The caller's pending invitations, newest first."""
    return teams.invitations_of(current_user(), **args)


@bp.post("/invitations/<id:invitation_id>/accept")
@login_required
@guard(teams.own_invitation)
@no_body(bp)
@bp.response(200, InvitationOut)
def accept_invitation(_body, invitation_id):
    """Join the team; one's own submissions move into it."""
    return teams.accept(current_user(), invitation_id)


@bp.post("/invitations/<id:invitation_id>/decline")
@login_required
@guard(teams.own_invitation)
@no_body(bp)
@bp.response(200, InvitationOut)
def decline_invitation(_body, invitation_id):
    """Turn an invitation down."""
    return teams.decline(current_user(), invitation_id)


@bp.delete("/teams/<id:team_id>/members/<id:user_id>")
@login_required
@bp.response(204)
def remove_member(team_id, user_id):
    """Leave the team, or remove a member (the captain), before the deadline."""
    teams.remove_member(current_user(), team_id, user_id)


@bp.post("/teams/<id:team_id>/merge")
@login_required
@guard(teams.captained)
@bp.arguments(MergeIn)
@bp.response(200, TeamOut, description="The merged team: the second captain completed the merge.")
@bp.alt_response(202, schema=TeamOut, description="The caller's team: the request is recorded, whatever team the id "
                                                  "names; the other captain completes it.")
def merge_teams(data, team_id):
    """Merge with another team: both captains ask; the first captain's team survives."""
    actor = current_user()
    team, merged = teams.merge(actor, team_id, data["team_id"])
    return teams.as_seen_by(actor, team), 200 if merged else 202


@bp.put("/teams/<id:team_id>/split")
@login_required
@guard(teams.captained)
@bp.arguments(SplitIn)
@bp.response(200, TeamOut)
def set_split(data, team_id):
    """Set each member's weight in a prize (the captain), until the deadline; members are notified."""
    actor = current_user()
    return teams.as_seen_by(actor, teams.set_split(actor, team_id, data["weights"]))
