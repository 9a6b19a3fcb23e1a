"""idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:26:08.293856

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_idempotency_record_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_record_user_id_key'))
    )
    op.create_index('ix_idempotency_record_created', 'idempotency_record', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_idempotency_record_created', table_name='idempotency_record')
    op.drop_table('idempotency_record')
