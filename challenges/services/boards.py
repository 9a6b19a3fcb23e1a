"""The boards of scored challenges, stored as one row per entrant and board, in step with the submissions.

A change the ORM makes to a scored submission (its evaluation, a withdrawal, a disqualification, a moderation
decision) is noticed at flush; bulk updates (a selection, submissions moving with a team) name the entrants they
touched with `changed()`. Just before the commit, those entrants' rows are recomputed from their own submissions:
in the same transaction, and last, so the board rows are the last locks any transaction takes, in one order.
"""
from collections.abc import Iterable

from sqlalchemy import and_, event, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from challenges.extensions import db
from challenges.models import (
    Board, BoardEntry, Challenge, Evaluation, EvaluationStatus, Moderation, Submission, SubmissionStatus,
)
from challenges.services.metrics import METRICS

PENDING = "boards_pending"  # session.info: {challenge_id: {entrant, ...}} to refresh before the commit
WATCHED = ("status", "evaluation_status", "public_score", "private_score", "moderation", "selected", "team_id",
           "participant_id", "submitted_at")
COLUMNS = (Submission.id, Submission.participant_id, Submission.team_id, Submission.public_score,
           Submission.private_score, Submission.submitted_at, Submission.selected)
KEY = ["challenge_id", "entrant", "board"]
CHUNK = 1000  # entrants per refresh when a whole challenge is rebuilt


def entrant(user_id: int | None = None, team_id: int | None = None) -> str:
    """Who ranks: the team when there is one (a team is one entrant), else the participant."""
    return f"team:{team_id}" if team_id else f"user:{user_id}"


def changed(challenge_id: int, *entrants: str) -> None:
    """Have these entrants' rows recomputed before the commit: their submissions changed in bulk."""
    _note(db.session, challenge_id, entrants)


def _note(session: Session, challenge_id: int, entrants: Iterable[str]) -> None:
    session.info.setdefault(PENDING, {}).setdefault(challenge_id, set()).update(entrants)


def _ranked_submissions(challenge_id: int):
    """The condition selecting the submissions that may rank: active, scored and visible."""
    return (Submission.challenge_id == challenge_id) & (Submission.status == SubmissionStatus.SUBMITTED) \
        & (Submission.evaluation_status == EvaluationStatus.SCORED) & (Submission.moderation == Moderation.VISIBLE)


def refresh(challenge_id: int, entrants: Iterable[str]) -> None:
    """Recompute these entrants' rows on both boards from their submissions (not committed)."""
    keys = sorted(set(entrants))
    challenge = db.session.get(Challenge, challenge_id) if keys else None
    if challenge is None or challenge.evaluation is not Evaluation.SCORED:
        return
    _lock(challenge_id, keys)  # before reading: a concurrent refresh of the same entrant has committed by now
    rows = db.session.execute(select(*COLUMNS).where(_ranked_submissions(challenge_id), _submissions_of(keys))).all()
    metric = METRICS[challenge.scoring["metric"]]
    best = _best(rows, metric.higher_is_better, challenge.scoring["final_selection_limit"])
    values = [_values(challenge_id, board, key, *best.get((board, key), (None, None)), metric.higher_is_better)
              for key in keys for board in Board]
    statement = _insert()  # the rows exist (locked above): the upsert updates them all in one go
    db.session.execute(statement.on_conflict_do_update(
        index_elements=KEY, set_={name: statement.excluded[name] for name in values[0] if name not in KEY}), values)


def rebuild(challenge_id: int) -> None:
    """Recompute the rows of every entrant of a challenge, after a bulk load or to repair them (not committed)."""
    scored = db.session.execute(select(Submission.participant_id, Submission.team_id).distinct().where(
        Submission.challenge_id == challenge_id, Submission.evaluation_status == EvaluationStatus.SCORED))
    stored = db.session.scalars(select(BoardEntry.entrant).where(BoardEntry.challenge_id == challenge_id))
    keys = sorted({entrant(user_id, team_id) for user_id, team_id in scored} | set(stored))
    for start in range(0, len(keys), CHUNK):
        refresh(challenge_id, keys[start:start + CHUNK])


def _insert():
    return (postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite).insert(BoardEntry)


def _split(key: str) -> tuple[str, int]:
    kind, _, number = key.partition(":")
    return kind, int(number)


def _team_of(key: str) -> int | None:
    kind, number = _split(key)
    return number if kind == "team" else None


def _lock(challenge_id: int, keys: list[str]) -> None:
    """Create the entrants' missing rows and lock them all, in one order for every caller."""
    db.session.execute(_insert().on_conflict_do_nothing(index_elements=KEY), [
        {"challenge_id": challenge_id, "board": board, "entrant": key, "team_id": _team_of(key)}
        for key in keys for board in Board])
    db.session.execute(select(BoardEntry.entrant).where(
        BoardEntry.challenge_id == challenge_id, BoardEntry.entrant.in_(keys))
        .order_by(BoardEntry.entrant, BoardEntry.board).with_for_update())


def _submissions_of(keys: list[str]):
    """The condition selecting the submissions of these entrants."""
    teams = [number for kind, number in map(_split, keys) if kind == "team"]
    users = [number for kind, number in map(_split, keys) if kind == "user"]
    return or_(Submission.team_id.in_(teams), and_(Submission.team_id.is_(None), Submission.participant_id.in_(users)))


def _best(rows, higher_is_better: bool, limit: int) -> dict[tuple[Board, str], tuple]:
    """(board, entrant) -> (submission row, score): the best public score; on the private board, the best of
    the counted submissions."""
    by_entrant: dict[str, list] = {}
    for row in rows:
        by_entrant.setdefault(entrant(row.participant_id, row.team_id), []).append(row)
    best = {}
    for key, entries in by_entrant.items():
        public = min(entries, key=lambda s: _order(s.public_score, higher_is_better, s))
        private = min(_counted(entries, higher_is_better, limit),
                      key=lambda s: _order(s.private_score, higher_is_better, s))
        best[Board.PUBLIC, key], best[Board.PRIVATE, key] = (public, public.public_score), \
            (private, private.private_score)
    return best


def _order(score: float, higher_is_better: bool, submission) -> tuple:
    """Best score first; ties go to the earliest submission."""
    return (-score if higher_is_better else score, submission.submitted_at, submission.id)


def _counted(entries: list, higher_is_better: bool, limit: int) -> list:
    """The entrant's selection, or their best public submissions up to the limit when they chose none."""
    selected = [s for s in entries if s.selected]
    by_public = sorted(selected or entries, key=lambda s: _order(s.public_score, higher_is_better, s))
    return by_public[:limit]  # never more than the limit, whatever was selected


def _values(challenge_id: int, board: Board, key: str, row, score: float | None, higher_is_better: bool) -> dict:
    """A stored row: nulls when nothing of the entrant counts on this board."""
    values = {"challenge_id": challenge_id, "board": board, "entrant": key, "team_id": _team_of(key),
              "participant_id": None, "submission_id": None, "score": None, "rank_key": None, "submitted_at": None}
    if row is not None:
        values |= {"participant_id": row.participant_id, "submission_id": row.id, "score": score,
                   "rank_key": -score if higher_is_better else score, "submitted_at": row.submitted_at}
    return values


@event.listens_for(Session, "before_flush")
def _notice(session: Session, _context, _instances) -> None:
    """Note the entrants whose standing the submissions about to be written may move."""
    dirty = [s for s in session.dirty if isinstance(s, Submission) and _ranking_changed(s)]
    for submission in (*session.new, *session.deleted, *dirty):
        if isinstance(submission, Submission) and (entrants := _entrants_of(submission)):
            _note(session, submission.challenge_id, entrants)


def _ranking_changed(submission: Submission) -> bool:
    state = inspect(submission)
    return any(state.attrs[name].history.has_changes() for name in WATCHED)


def _entrants_of(submission: Submission) -> set[str]:
    """The entrants a scored submission counts for, before and after the change; none for others."""
    history = {name: inspect(submission).attrs[name].history for name in ("evaluation_status", "team_id",
                                                                             "participant_id")}
    if EvaluationStatus.SCORED not in (submission.evaluation_status, *history["evaluation_status"].deleted):
        return set()
    return {entrant(user_id, team_id) for user_id in {submission.participant_id, *history["participant_id"].deleted}
            for team_id in {submission.team_id, *history["team_id"].deleted}}


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    session.flush()  # notices the last changes
    for challenge_id, entrants in sorted(session.info.pop(PENDING, {}).items()):
        refresh(challenge_id, entrants)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)
