"""organisation invitations: an email address invited to a role, answered with a single-use link token

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('owner', 'manager', 'judge', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'revoked', 'superseded', name='organisationinvitationstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['user.id'], name=op.f('fk_organisation_invitation_answered_by_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by'], ['user.id'], name=op.f('fk_organisation_invitation_invited_by_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_organisation_invitation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_organisation_invitation_token_hash'))
    )
    with op.batch_alter_table('organisation_invitation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_invitation_email', ['email', 'id'], unique=False)
        batch_op.create_index('ix_organisation_invitation_organisation', ['organisation_id', 'id'], unique=False)
        batch_op.create_index('uq_organisation_invitation_pending', ['organisation_id', 'email'], unique=True,
                              postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('organisation_invitation', schema=None) as batch_op:
        batch_op.drop_index('uq_organisation_invitation_pending')
        batch_op.drop_index('ix_organisation_invitation_organisation')
        batch_op.drop_index('ix_organisation_invitation_email')
    op.drop_table('organisation_invitation')
