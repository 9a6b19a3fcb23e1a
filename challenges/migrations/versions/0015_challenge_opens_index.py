"""challenge index by opening: the upcoming challenges, and the next opening, without a scan

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.create_index('ix_challenge_opens', ['opens_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_index('ix_challenge_opens')
