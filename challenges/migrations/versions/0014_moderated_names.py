"""moderated names: organisations and teams carry a moderation state, and can be flagged

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

CONTENT = ('challenge', 'submission', 'question', 'answer')
NAMES = ('organisation', 'team')


def _object_type(*values):
    return sa.Enum(*values, name='objecttype', native_enum=False, create_constraint=True, length=20)


def _moderation():
    return sa.Enum('visible', 'held', 'hidden', name='moderation', native_enum=False, create_constraint=True,
                   length=20)


def upgrade():
    for table in ('organisation', 'team'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('moderation', _moderation(), server_default='visible', nullable=False))

    for table in ('flag', 'moderation_case'):  # the CHECK constraint on object_type takes the new kinds
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('object_type', existing_type=_object_type(*CONTENT),
                                  type_=_object_type(*CONTENT, *NAMES), existing_nullable=False)


def downgrade():
    for table in ('moderation_case', 'flag'):
        op.execute(sa.text(f"DELETE FROM {table} WHERE object_type IN ('organisation', 'team')"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('object_type', existing_type=_object_type(*CONTENT, *NAMES),
                                  type_=_object_type(*CONTENT), existing_nullable=False)

    for table in ('team', 'organisation'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_moderation'), type_='check')  # SQLite's copy would keep it
            batch_op.drop_column('moderation')
