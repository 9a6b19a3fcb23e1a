"""challenge opening_ahead: the upcoming lists walk indexes of the challenges before their opening

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

UNOPENED = "status = 'published' AND opening_ahead"
INDEXES = {'created': ['created_at', 'id'], 'prize_total': ['prize_total', 'id'], 'closes': ['closes_at', 'id']}


def upgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        # Every row starts unopened: the next relay (after any commit, `flask relay`, or the worker) clears the rest.
        batch_op.add_column(sa.Column('opening_ahead', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(f'ix_challenge_unopened_{name}', columns, unique=False,
                                  postgresql_where=sa.text(UNOPENED), sqlite_where=sa.text(UNOPENED))


def downgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(f'ix_challenge_unopened_{name}', postgresql_where=sa.text(UNOPENED),
                                sqlite_where=sa.text(UNOPENED))
        batch_op.drop_column('opening_ahead')
