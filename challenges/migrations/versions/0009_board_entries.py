"""board entries: each entrant's standing on the boards of a scored challenge, filled from the submissions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LOWER_IS_BETTER = {'mae', 'rmse', 'log_loss'}  # the metrics of this revision where the smaller score wins


def upgrade():
    board_entry = op.create_table('board_entry',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('entrant', sa.String(length=24), nullable=False),
    sa.Column('board', sa.Enum('public', 'private', name='board', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('rank_key', sa.Float(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('challenge_id', 'entrant', 'board', name=op.f('pk_board_entry'))
    )
    with op.batch_alter_table('board_entry', schema=None) as batch_op:
        batch_op.create_index('ix_board_entry_rank', ['challenge_id', 'board', 'rank_key', 'submitted_at', 'submission_id'], unique=False)
        batch_op.create_index('ix_board_entry_submission', ['submission_id'], unique=False)

    _fill(board_entry)


def _fill(board_entry):
    """One row per entrant and board, as services.boards computes them in this revision."""
    bind = op.get_bind()
    challenge = sa.table('challenge', sa.column('id'), sa.column('evaluation'), sa.column('scoring', sa.JSON))
    submission = sa.table('submission', sa.column('submitted_at', sa.DateTime(timezone=True)), *map(sa.column, (
        'id', 'challenge_id', 'participant_id', 'team_id', 'public_score', 'private_score', 'selected', 'status',
        'evaluation_status', 'moderation')))
    for challenge_id, scoring in bind.execute(
            sa.select(challenge.c.id, challenge.c.scoring).where(challenge.c.evaluation == 'scored')):
        rows = bind.execute(sa.select(submission).where(
            submission.c.challenge_id == challenge_id, submission.c.status == 'submitted',
            submission.c.evaluation_status == 'scored', submission.c.moderation == 'visible')).all()
        entries = _entries(challenge_id, rows, scoring['metric'] not in LOWER_IS_BETTER, scoring['final_selection_limit'])
        if entries:
            op.bulk_insert(board_entry, entries)


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
    with op.batch_alter_table('board_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_board_entry_submission')
        batch_op.drop_index('ix_board_entry_rank')

    op.drop_table('board_entry')
