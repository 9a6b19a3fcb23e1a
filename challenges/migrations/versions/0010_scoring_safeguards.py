"""scoring safeguards: whose fault a failed evaluation was, the range of regression predictions, rounded scores

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00.000000

"""
import io
import math

from alembic import op
import numpy as np
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SCORE_DIGITS = 6
REGRESSION = {'mae', 'rmse'}  # the metrics of this revision whose predictions are bounded by the key's range
LOWER_IS_BETTER = {'mae', 'rmse', 'log_loss'}
CHUNK = 1000


def upgrade():
    with op.batch_alter_table('answer_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prediction_min', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('prediction_max', sa.Float(), nullable=True))

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_fault', sa.Enum('participant', 'ours', name='evaluationfault', native_enum=False, create_constraint=True, length=20), nullable=True))

    bind = op.get_bind()
    submission = sa.table('submission', sa.column('submitted_at', sa.DateTime(timezone=True)), *map(sa.column, (
        'id', 'challenge_id', 'participant_id', 'team_id', 'public_score', 'private_score', 'selected', 'status',
        'evaluation_status', 'evaluation_fault', 'moderation')))
    # Every failure so far was counted as ours: it stays free.
    bind.execute(submission.update().where(submission.c.evaluation_status == 'failed').values(evaluation_fault='ours'))
    _fill_ranges(bind)
    _round_scores(bind, submission)
    _rebuild_boards(bind, submission)


def _fill_ranges(bind):
    """The prediction range of every regression key, as services.answer_files computes it in this revision."""
    answer_key = sa.table('answer_key', sa.column('challenge_id'), sa.column('metric'), sa.column('data'),
                          sa.column('prediction_min'), sa.column('prediction_max'))
    for challenge_id, data in bind.execute(sa.select(answer_key.c.challenge_id, answer_key.c.data)
                                           .where(answer_key.c.metric.in_(REGRESSION))).all():
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            low, high = _range(arrays['values'])
        bind.execute(answer_key.update().where(answer_key.c.challenge_id == challenge_id)
                     .values(prediction_min=low, prediction_max=high))


def _range(values):
    low, high = float(values.min()), float(values.max())
    scale = max(high - low, abs(low), abs(high)) or 1.0
    exponent = max(math.floor(math.log10(scale)), -300)
    unit = 10.0 ** exponent
    return (float(f'{math.floor((low - scale) / unit)}e{exponent}'),
            float(f'{math.ceil((high + scale) / unit)}e{exponent}'))


def _significant(score):
    return None if score is None else float(f'{score:.{SCORE_DIGITS - 1}e}')


def _round_scores(bind, submission):
    """Scores to SCORE_DIGITS significant digits, as they are kept from this revision on."""
    rows = bind.execute(sa.select(submission.c.id, submission.c.public_score, submission.c.private_score).where(
        sa.or_(submission.c.public_score.is_not(None), submission.c.private_score.is_not(None)))).all()
    statement = submission.update().where(submission.c.id == sa.bindparam('b_id')).values(
        public_score=sa.bindparam('b_public'), private_score=sa.bindparam('b_private'))
    for start in range(0, len(rows), CHUNK):
        bind.execute(statement, [{'b_id': id_, 'b_public': _significant(public), 'b_private': _significant(private)}
                                 for id_, public, private in rows[start:start + CHUNK]])


def _rebuild_boards(bind, submission):
    """The board rows again from the rounded scores: ties may now go to an earlier submission."""
    board_entry = sa.table('board_entry', sa.column('submitted_at', sa.DateTime(timezone=True)), *map(sa.column, (
        'challenge_id', 'entrant', 'board', 'team_id', 'participant_id', 'submission_id', 'score', 'rank_key')))
    challenge = sa.table('challenge', sa.column('id'), sa.column('evaluation'), sa.column('scoring', sa.JSON))
    bind.execute(board_entry.delete())
    for challenge_id, scoring in bind.execute(
            sa.select(challenge.c.id, challenge.c.scoring).where(challenge.c.evaluation == 'scored')).all():
        rows = bind.execute(sa.select(submission).where(
            submission.c.challenge_id == challenge_id, submission.c.status == 'submitted',
            submission.c.evaluation_status == 'scored', submission.c.moderation == 'visible')).all()
        entries = _entries(challenge_id, rows, scoring['metric'] not in LOWER_IS_BETTER,
                           scoring['final_selection_limit'])
        if entries:
            bind.execute(board_entry.insert(), entries)


def _entries(challenge_id, rows, higher_is_better, limit):
    def order(score, row):
        return (-score if higher_is_better else score, row.submitted_at, row.id)

    by_entrant = {}
    for row in rows:
        key = f'team:{row.team_id}' if row.team_id else f'user:{row.participant_id}'
        by_entrant.setdefault(key, []).append(row)
    entries = []
    for key, mine in by_entrant.items():
        counted = sorted([r for r in mine if r.selected] or mine, key=lambda r: order(r.public_score, r))[:limit]
        for board, candidates, score_of in (('public', mine, lambda r: r.public_score),
                                            ('private', counted, lambda r: r.private_score)):
            best = min(candidates, key=lambda r: order(score_of(r), r))
            entries.append({'challenge_id': challenge_id, 'board': board, 'entrant': key, 'team_id': best.team_id,
                            'participant_id': best.participant_id, 'submission_id': best.id,
                            'score': score_of(best), 'rank_key': order(score_of(best), best)[0],
                            'submitted_at': best.submitted_at})
    return entries


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_submission_evaluationfault'), type_='check')  # SQLite's copy would keep it
        batch_op.drop_column('evaluation_fault')

    with op.batch_alter_table('answer_key', schema=None) as batch_op:
        batch_op.drop_column('prediction_max')
        batch_op.drop_column('prediction_min')
