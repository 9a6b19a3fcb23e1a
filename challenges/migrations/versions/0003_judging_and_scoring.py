"""judging and scoring

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:45:39.179666

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_key',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('public_rows', sa.Integer(), nullable=False),
    sa.Column('public_fraction', sa.Float(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_answer_key_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user.id'], name=op.f('fk_answer_key_uploaded_by_user')),
    sa.PrimaryKeyConstraint('challenge_id', name=op.f('pk_answer_key'))
    )
    op.create_table('criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.CheckConstraint('max_score > 0', name=op.f('ck_criterion_max_score_positive')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_criterion_weight_positive')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_criterion_challenge_id_challenge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion'))
    )
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.create_index('ix_criterion_challenge', ['challenge_id', 'position'], unique=False)

    op.create_table('assignment',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_assignment_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['user.id'], name=op.f('fk_assignment_judge_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_assignment_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'judge_id', name=op.f('pk_assignment'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_judge', ['challenge_id', 'judge_id', 'submission_id'], unique=False)

    op.create_table('conflict_of_interest',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_conflict_of_interest_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['user.id'], name=op.f('fk_conflict_of_interest_judge_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_conflict_of_interest_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'judge_id', name=op.f('pk_conflict_of_interest'))
    )
    with op.batch_alter_table('conflict_of_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflict_of_interest_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('prediction',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_prediction_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_prediction'))
    )
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('weighted_score', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_review_challenge_id_challenge'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['user.id'], name=op.f('fk_review_judge_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_review_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('submission_id', 'judge_id', name=op.f('uq_review_submission_id_judge_id'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_challenge', ['challenge_id', 'id'], unique=False)
        batch_op.create_index('ix_review_judge', ['judge_id', 'challenge_id', 'id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_status', sa.Enum('pending', 'scored', 'failed', name='evaluationstatus', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('public_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('private_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('evaluation_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('selected', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('selected')
        batch_op.drop_column('scored_at')
        batch_op.drop_column('evaluation_error')
        batch_op.drop_column('private_score')
        batch_op.drop_column('public_score')
        batch_op.drop_column('evaluation_status')

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('ix_review_judge')
        batch_op.drop_index('ix_review_challenge')

    op.drop_table('review')
    op.drop_table('prediction')
    with op.batch_alter_table('conflict_of_interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflict_of_interest_challenge_id'))

    op.drop_table('conflict_of_interest')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_judge')

    op.drop_table('assignment')
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.drop_index('ix_criterion_challenge')

    op.drop_table('criterion')
    op.drop_table('answer_key')
