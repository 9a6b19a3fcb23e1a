"""Who may do what: deny by default; what a caller may not see is NotFound."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from challenges.errors import Forbidden, NotFound
from challenges.extensions import db
from challenges.models import Challenge, Membership, Moderation, Role, Status, User

MANAGING = (Role.OWNER, Role.MANAGER)
NO_SUCH = {  # one sentence per kind: the words around the name change with it in other languages
    "answer": _l("No such answer."),
    "attachment": _l("No such attachment."),
    "award": _l("No such award."),
    "challenge": _l("No such challenge."),
    "delivery": _l("No such delivery."),
    "invitation": _l("No such invitation."),
    "notification": _l("No such notification."),
    "organisation": _l("No such organisation."),
    "private leaderboard": _l("No such private leaderboard."),
    "question": _l("No such question."),
    "submission": _l("No such submission."),
    "team": _l("No such team."),
    "user": _l("No such user."),
    "webhook": _l("No such webhook."),
}
ROLES = "roles"  # the session's memo of (organisation id, user id) -> role


def role(actor: User | None, organisation_id: int) -> Role | None:
    """The actor's role in the organisation; platform admins act as owners everywhere."""
    if actor is None:
        return None
    if actor.is_admin:
        return Role.OWNER
    roles = db.session.info.setdefault(ROLES, {})
    if (organisation_id, actor.id) not in roles:  # the identity map remembers members, this also non-members
        membership = db.session.get(Membership, (organisation_id, actor.id))
        roles[organisation_id, actor.id] = membership.role if membership else None
    return roles[organisation_id, actor.id]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_roles(session: Session, *_) -> None:
    """Roles are remembered only until the session writes or ends its transaction: a membership may change then."""
    session.info.pop(ROLES, None)


def forget_roles() -> None:
    """Read roles afresh from now on: a lock just taken may have waited for a membership change."""
    _forget_roles(db.session)


def is_member(actor: User | None, organisation_id: int) -> bool:
    """Whether the actor belongs to the organisation (or is a platform admin)."""
    return role(actor, organisation_id) is not None


def may_manage(actor: User | None, organisation_id: int) -> bool:
    """Owners, managers and platform admins run the organisation's challenges."""
    return role(actor, organisation_id) in MANAGING


def require(allowed: bool, message: str) -> None:
    """Forbidden unless allowed."""
    if not allowed:
        raise Forbidden(message)


def require_member(actor: User | None, organisation_id: int) -> None:
    """Members of the organisation (and platform admins) only."""
    require(is_member(actor, organisation_id), _("Only members of the organisation may do this."))


def require_manager(actor: User | None, organisation_id: int) -> None:
    """Owners, managers and platform admins only."""
    require(may_manage(actor, organisation_id), _("Only owners and managers may do this."))


def require_owner(actor: User | None, organisation_id: int) -> None:
    """Owners and platform admins only."""
    require(role(actor, organisation_id) is Role.OWNER, _("Only owners may do this."))


def not_found(what: str) -> NotFound:
    """The NotFound of a kind of thing, named in the reader's language."""
    return NotFound(str(NO_SUCH[what]) if what in NO_SUCH else _("No such %(what)s.", what=what))


def visible_or_404(allowed: bool, what: str) -> None:
    """NotFound unless the actor may see the thing."""
    if not allowed:
        raise not_found(what)


def may_see_content(actor: User | None, moderation: Moderation, is_author: bool) -> bool:
    """Visible content for whoever may see it; held content for its author; both held and hidden for admins."""
    if moderation is Moderation.VISIBLE or (actor is not None and actor.is_admin):
        return True
    return moderation is Moderation.HELD and is_author


def may_see_challenge(actor: User | None, challenge: Challenge) -> bool:
    """Published challenges are public; drafts (and cancelled drafts) are for members; held ones too."""
    member = is_member(actor, challenge.organisation_id)
    return (challenge.was_public or member) and may_see_content(actor, challenge.moderation, member)


def may_submit(actor: User, challenge: Challenge) -> bool:
    """The open call is open to all but the organisation's own people."""
    return not is_member(actor, challenge.organisation_id)


JUDGING = (Role.OWNER, Role.MANAGER, Role.JUDGE)


def may_judge(actor: User | None, organisation_id: int) -> bool:
    """Judges, managers, owners and platform admins review submissions."""
    return role(actor, organisation_id) in JUDGING


def require_judge(actor: User | None, organisation_id: int) -> None:
    """Judges, managers, owners and platform admins only."""
    require(may_judge(actor, organisation_id), _("Only the organisation's judges, managers and owners may do this."))


def blind_until_final(challenge: Challenge) -> bool:
    """Whether blind judging hides who wrote or asked what: on a blind challenge, until it is finalised."""
    blind = bool(challenge.judging and challenge.judging.get("blind"))
    return blind and challenge.status is not Status.FINALISED


def authors_hidden(actor: User | None, challenge: Challenge) -> bool:
    """Blind judging: a judge (not a manager or owner) never learns who wrote what before finalisation."""
    return blind_until_final(challenge) and role(actor, challenge.organisation_id) is Role.JUDGE


class Masked:
    """An object read through, with some of its attributes withheld (None) from this reader."""

    def __init__(self, obj, withheld: set[str]):
        self._obj, self._withheld = obj, withheld

    def __getattr__(self, name):
        return None if name in self._withheld else getattr(self._obj, name)
