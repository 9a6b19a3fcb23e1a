"""teams

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 21:39:27.539488

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('captain_id', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=True),
    sa.Column('merge_target_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['captain_id'], ['user.id'], name=op.f('fk_team_captain_id_user')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_team_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merge_target_id'], ['team.id'], name=op.f('fk_team_merge_target_id_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('challenge_id', 'name', name=op.f('uq_team_challenge_id_name'))
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index('ix_team_challenge', ['challenge_id', 'id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', name='invitationstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by'], ['user.id'], name=op.f('fk_invitation_invited_by_user')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_invitation_team_id_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_invitation_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_user', ['user_id', 'id'], unique=False)
        batch_op.create_index('uq_invitation_pending', ['team_id', 'user_id'], unique=True, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_team_member_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_member_team_id_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_team_member_user_id_user')),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_member')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_team_member_challenge_id_user_id'))
    )
    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_split', sa.JSON(), nullable=True))

    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_team_size', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('team_merge_deadline', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_for', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_submission_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_submission_team_id_team'), 'team', ['team_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submission_team_id_team'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_submission_team_id'))
        batch_op.drop_column('team_id')

    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_column('reminded_for')
        batch_op.drop_column('team_merge_deadline')
        batch_op.drop_column('max_team_size')

    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.drop_column('team_split')

    op.drop_table('team_member')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index('uq_invitation_pending', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_invitation_user')

    op.drop_table('invitation')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index('ix_team_challenge')

    op.drop_table('team')
