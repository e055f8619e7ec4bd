"""event versions: one row per event whose token changes with its programme

Revision ID: c7d2e5f8a1b3
Revises: c7a5e1f0b2d4
Create Date: 2026-12-05 08:15:00.000000

The public pages are cached per version of what they show (eventapp/models/version.py);
existing events get a row with fresh tokens here, so nothing cached before (a calendar file
under EXPORTS_DIR) is taken for their current version.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e5f8a1b3'
down_revision = 'c7a5e1f0b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_version',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('programme', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id'),
    )
    token = secrets.randbits(62) or 1
    op.execute(
        sa.text("INSERT INTO event_version (event_id, programme) SELECT id, :t FROM event")
        .bindparams(t=token)
    )


def downgrade():
    op.drop_table('event_version')
