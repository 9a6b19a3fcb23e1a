"""moderation

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 21:53:02.756056

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.Enum('challenge', 'submission', 'question', 'answer', name='objecttype', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_flag_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag')),
    sa.UniqueConstraint('object_type', 'object_id', 'user_id', name=op.f('uq_flag_object_type_object_id_user_id'))
    )
    op.create_table('moderation_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.Enum('challenge', 'submission', 'question', 'answer', name='objecttype', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('flags', sa.Integer(), nullable=False),
    sa.Column('announced', sa.Boolean(), nullable=False),
    sa.Column('excerpt', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='casestatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_moderation_case_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_moderation_case_decided_by_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_case')),
    sa.UniqueConstraint('object_type', 'object_id', name=op.f('uq_moderation_case_object_type_object_id'))
    )
    with op.batch_alter_table('moderation_case', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_case_queue', ['status', 'id'], unique=False)

    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation', sa.Enum('visible', 'held', 'hidden', name='moderation', native_enum=False, create_constraint=True, length=20), server_default='visible', nullable=False))

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation', sa.Enum('visible', 'held', 'hidden', name='moderation', native_enum=False, create_constraint=True, length=20), server_default='visible', nullable=False))
        batch_op.add_column(sa.Column('answer_moderation', sa.Enum('visible', 'held', 'hidden', name='answer_moderation', native_enum=False, create_constraint=True, length=20), server_default='visible', nullable=False))

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation', sa.Enum('visible', 'held', 'hidden', name='moderation', native_enum=False, create_constraint=True, length=20), server_default='visible', nullable=False))



    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('moderation')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('answer_moderation')
        batch_op.drop_column('moderation')

    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_column('moderation')

    with op.batch_alter_table('moderation_case', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_case_queue')

    op.drop_table('moderation_case')
    op.drop_table('flag')
