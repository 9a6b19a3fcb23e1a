"""sign-in counters: failed sign-ins counted in the database, shared by every worker

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_counter',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_counter'))
    )
    with op.batch_alter_table('sign_in_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_counter_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_counter_expires_at'))

    op.drop_table('sign_in_counter')
