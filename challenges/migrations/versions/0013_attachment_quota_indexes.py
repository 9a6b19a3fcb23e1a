"""attachment indexes: the storage quota's sum per uploader, and the sweep's lookup by SHA-256

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_uploader', ['uploader_id', 'size'], unique=False)
        batch_op.create_index('ix_attachment_sha256', ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_sha256')
        batch_op.drop_index('ix_attachment_uploader')
