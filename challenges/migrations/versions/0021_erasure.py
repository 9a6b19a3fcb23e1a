"""account erasure: the moment an account was erased, and no password hash once it is

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)


def downgrade():
    # An erased account keeps no password: it gets one nobody knows (not a valid hash, so nothing matches it).
    op.execute(sa.text('UPDATE "user" SET password_hash = \'!\' WHERE password_hash IS NULL'))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('erased_at')
