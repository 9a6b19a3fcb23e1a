"""sign-in addresses

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:49:50.922001

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_address',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address_digest', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sign_in_address_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'address_digest', name=op.f('pk_sign_in_address'))
    )


def downgrade():
    op.drop_table('sign_in_address')
