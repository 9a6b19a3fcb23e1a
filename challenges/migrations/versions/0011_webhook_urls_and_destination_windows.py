"""webhook urls: one webhook per URL and organisation; destination windows: delivery attempts per address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 10:00:00.000000

"""
import hashlib
import ipaddress
from urllib.parse import urlsplit, urlunsplit

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('destination_window',
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('address', 'window_start', name=op.f('pk_destination_window'))
    )
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url_sha256', sa.String(length=64), nullable=True))

    _fill()
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_webhook_organisation_id_url_sha256'),
                                          ['organisation_id', 'url_sha256'])


def _fill():
    """Each webhook's URL digest; a duplicate of an earlier webhook of its organisation keeps none."""
    bind = op.get_bind()
    webhook = sa.table('webhook', sa.column('id'), sa.column('organisation_id'), sa.column('url'),
                       sa.column('url_sha256'))
    seen = set()
    for row in bind.execute(sa.select(webhook.c.id, webhook.c.organisation_id, webhook.c.url).order_by(webhook.c.id)):
        key = (row.organisation_id, _digest(row.url))
        if key[1] is not None and key not in seen:
            seen.add(key)
            bind.execute(webhook.update().where(webhook.c.id == row.id).values(url_sha256=key[1]))


def _digest(url):
    """The SHA-256 of the URL in canonical form, as services.addresses computes it in this revision."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if ':' in host:
            host = f'[{ipaddress.ip_address(host).compressed}]'
        default = 443 if parts.scheme == 'https' else 80
        port = f':{parts.port}' if parts.port not in (None, default) else ''
    except (TypeError, ValueError):  # never registered so: left without a digest
        return None
    canonical = urlunsplit((parts.scheme, host + port, parts.path or '/', parts.query, ''))
    return hashlib.sha256(canonical.encode()).hexdigest()


def downgrade():
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_webhook_organisation_id_url_sha256'), type_='unique')
        batch_op.drop_column('url_sha256')

    op.drop_table('destination_window')
