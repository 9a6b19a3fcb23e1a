"""Awarding prizes, revoking them, and tracking payouts; the results of a finalised challenge."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from challenges import clock, pagination
from challenges.errors import Conflict, NotFound, ValidationFailed
from challenges.extensions import db
from challenges.models import (
    Award, AwardStatus, Challenge, Moderation, Phase, Prize, Status, Submission, SubmissionStatus, TeamMember, User,
)
from challenges.services import audit, challenges, events, leaderboards, notifications, policy, submissions

# What the public does not see of an award: who gave it and when, and its payout; members and the winner do.
NOT_PUBLIC = {"status", "awarded_by", "awarded_at", "payout_reference", "paid_at", "cancel_reason", "team_split"}


def create(actor: User, challenge_id: int, *, prize_id: int, submission_id: int) -> Award:
    """Award a prize to a submission after the deadline: one per prize, one per submission."""
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    prize = db.session.get(Prize, prize_id)
    if prize is None or prize.challenge_id != challenge.id:
        raise ValidationFailed("prize_id", _("No such prize in this challenge."))
    submission = db.session.get(Submission, submission_id, with_for_update=True, populate_existing=True)
    if submission is None or submission.challenge_id != challenge.id or submission.moderation is not Moderation.VISIBLE:
        raise ValidationFailed("submission_id", _("No such submission in this challenge."))
    now = clock.now()
    if challenge.phase_at(now) is not Phase.CLOSED:
        raise Conflict(_("Prizes are awarded after the deadline and before finalisation."))
    if submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict(_("A %(status)s submission cannot win a prize.", status=submission.status))
    rank, score = leaderboards.standing_of(challenge, submission.id)
    award = Award(challenge_id=challenge.id, prize_id=prize.id, submission_id=submission.id,
                  awarded_by=actor.id, awarded_at=now, rank=rank, score=score,
                  team_split=submission.team.split if submission.team else None)
    db.session.add(award)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("The prize is already awarded, or the submission already holds a prize.")) from None
    audit.record(actor, "award.created", award, challenge.organisation_id,
                 prize_id=prize.id, submission_id=submission.id)
    events.emit("award.created", challenge, award=events.award_data(award))
    db.session.commit()
    return award


def for_challenge(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """A challenge's awards: members at any time, everyone once finalised; the payout only to members and
    the winner."""
    challenge = _with_visible_awards(actor, challenge_id)
    member = policy.is_member(actor, challenge.organisation_id)
    query = select(Award).where(Award.challenge_id == challenge.id)
    if not member:  # why an award was cancelled stays private
        query = query.where(Award.status != AwardStatus.CANCELLED)
    page = pagination.paginate(query, [Award.id], limit, cursor)
    if policy.authors_hidden(actor, challenge):  # a team's split names its members
        page.items = [policy.Masked(award, {"team_split"}) for award in page.items]
    elif not member:
        won = _won_by(actor, [award.id for award in page.items])
        page.items = [award if award.id in won else policy.Masked(award, NOT_PUBLIC) for award in page.items]
    return page


def _won_by(actor: User | None, award_ids: list[int]) -> set[int]:
    """Those of the awards that went to the actor, alone or with their team."""
    if actor is None or not award_ids:
        return set()
    teammate = (TeamMember.team_id == Submission.team_id) & (TeamMember.user_id == actor.id)
    return set(db.session.scalars(
        select(Award.id).join(Award.submission).outerjoin(TeamMember, teammate)
        .where(Award.id.in_(award_ids), (Submission.participant_id == actor.id) | TeamMember.user_id.is_not(None))))


def revoke(actor: User, challenge_id: int, award_id: int) -> None:
    """Revoke an award before finalisation; the prize and the submission are free again."""
    _with_visible_awards(actor, challenge_id)
    award = db.session.get(Award, award_id)
    if award is None or award.challenge_id != challenge_id:
        raise NotFound(_("No such award."))
    challenge = challenges.manageable(actor, challenge_id, lock=True)
    if challenge.status is not Status.PUBLISHED:
        raise Conflict(_("Awards cannot be revoked after finalisation."))
    audit.record(actor, "award.revoked", award, challenge.organisation_id,
                 prize_id=award.prize_id, submission_id=award.submission_id)
    events.emit("award.revoked", challenge, award=events.award_data(award))
    db.session.delete(award)
    db.session.commit()


def manageable(actor: User, award_id: int) -> tuple[Award, Challenge]:
    """An award of a challenge the actor runs; 404 when the actor may not see it."""
    award = db.session.get(Award, award_id)
    policy.visible_or_404(award is not None, "award")
    challenge = _with_visible_awards(actor, award.challenge_id)
    policy.require_manager(actor, challenge.organisation_id)
    return award, challenge


def _with_visible_awards(actor: User | None, challenge_id: int) -> Challenge:
    """A challenge whose awards the actor may see: members always, everyone once finalised."""
    challenge = challenges.visible(actor, challenge_id)
    policy.visible_or_404(challenge.status is Status.FINALISED or policy.is_member(actor, challenge.organisation_id),
                          "award")
    return challenge


def _finalised_award(actor: User, award_id: int) -> tuple[Award, Challenge]:
    """An award of a challenge the actor runs, locked; payouts only after finalisation."""
    award, challenge = manageable(actor, award_id)
    db.session.refresh(award, with_for_update=True)
    if challenge.status is not Status.FINALISED:
        raise Conflict(_("Payouts are tracked after finalisation."))
    if award.status is not AwardStatus.AWARDED:
        raise Conflict(_("This award is already %(status)s.", status=award.status))
    return award, challenge


def mark_paid(actor: User, award_id: int, reference: str) -> Award:
    """Record that the prize was paid, with the payment's reference."""
    award, challenge = _finalised_award(actor, award_id)
    winners = [award.submission.participant_id, *submissions.team_member_ids(award.submission.team_id)]
    _require_verified(winners)
    award.status, award.payout_reference, award.paid_at = AwardStatus.PAID, reference, clock.now()
    audit.record(actor, "award.paid", award, challenge.organisation_id, reference=reference)
    data = {"award": events.award_data(award)}
    events.emit("award.paid", challenge, **data)
    notifications.to_users("award.paid", winners, {"challenge": events.challenge_data(challenge), **data})
    db.session.commit()
    return award


def _require_verified(user_ids: list[int]) -> None:
    """409 while a winner has not verified their email address, or has erased their account: a payout goes to a
    person who can be reached."""
    unverified = db.session.scalars(select(User.display_name).where(
        User.id.in_(user_ids), User.email_verified_at.is_(None) | User.erased_at.is_not(None))
        .order_by(User.id)).all()
    if unverified:
        raise Conflict(_("No payout before the winner has verified their email address (not yet verified: "
                         "%(names)s).", names=", ".join(unverified)))


def cancel(actor: User, award_id: int, reason: str) -> Award:
    """Cancel an unpaid award after finalisation (the winner failed verification, say)."""
    award, challenge = _finalised_award(actor, award_id)
    award.status, award.cancel_reason, award.cancelled_at = AwardStatus.CANCELLED, reason, clock.now()
    audit.record(actor, "award.cancelled", award, challenge.organisation_id, reason=reason)
    db.session.commit()
    return award


def results(actor: User | None, challenge_id: int, limit: int, cursor: str | None) -> pagination.Page:
    """The winners of a finalised challenge, by prize rank (members may preview before)."""
    challenge = challenges.visible(actor, challenge_id)
    if challenge.status is not Status.FINALISED and not policy.is_member(actor, challenge.organisation_id):
        raise NotFound(_("The results are not out yet."))
    query = select(Award).join(Award.prize).options(
        selectinload(Award.prize), selectinload(Award.submission).selectinload(Submission.participant),
    ).where(Award.challenge_id == challenge.id, Award.status != AwardStatus.CANCELLED)
    page = pagination.paginate(query, [Prize.rank], limit, cursor, values=lambda award: [award.prize.rank])
    show_work = challenge.publish_winning_submissions or policy.is_member(actor, challenge.organisation_id)
    hide_authors = policy.authors_hidden(actor, challenge)
    page.items = [_result(actor, award, hide_authors, show_work) for award in page.items]
    return page


def _result(actor: User | None, award: Award, hide_authors: bool, show_work: bool) -> dict:
    """A prize and its winner; a winner that moderation hid or holds is shown to platform admins only."""
    submission = award.submission
    standing = {"prize": award.prize, "rank": award.rank, "score": award.score}
    if not policy.may_see_content(actor, submission.moderation, False):
        return standing | {"participant": None, "submission": None}
    return standing | {"participant": None if hide_authors else submission.participant,
                       "submission": submission if show_work else None}
