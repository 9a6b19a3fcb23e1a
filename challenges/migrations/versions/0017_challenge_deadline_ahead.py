"""challenge deadline_ahead: the upcoming and open lists walk indexes of the challenges before their deadline

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

AHEAD = "status = 'published' AND deadline_ahead"
INDEXES = {'created': ['created_at', 'id'], 'prize_total': ['prize_total', 'id'], 'closes': ['closes_at', 'id']}


def upgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_ahead', sa.Boolean(), server_default=sa.true(), nullable=False))
    # Every row starts ahead: the next relay (after any commit, `flask relay`, or the worker) clears the past ones.
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(f'ix_challenge_ahead_{name}', columns, unique=False,
                                  postgresql_where=sa.text(AHEAD), sqlite_where=sa.text(AHEAD))


def downgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(f'ix_challenge_ahead_{name}', postgresql_where=sa.text(AHEAD),
                                sqlite_where=sa.text(AHEAD))
        batch_op.drop_column('deadline_ahead')
