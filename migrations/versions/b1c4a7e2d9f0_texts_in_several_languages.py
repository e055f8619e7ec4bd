"""texts in several languages: event languages, translations beside each text

Revision ID: b1c4a7e2d9f0
Revises: 3ebe0c2afd25
Create Date: 2026-12-05 07:40:00.000000

Every existing text stays in its column as the value of the event's first language (French
for every event so far); the other languages go into ``translations``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c4a7e2d9f0'
down_revision = '3ebe0c2afd25'
branch_labels = None
depends_on = None

TRANSLATABLE = ("event", "room", "theme", "speaker", "programme_item", "item_speaker")


def upgrade():
    for table in TRANSLATABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('translations', sa.JSON(), server_default='{}', nullable=False)
            )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('languages', sa.String(length=40), server_default='fr', nullable=False)
        )
    with op.batch_alter_table('speaker', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=8), server_default='fr', nullable=False)
        )
    op.execute("UPDATE event SET languages = language WHERE language IN ('fr', 'nl', 'en')")


def downgrade():
    with op.batch_alter_table('speaker', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('languages')
    for table in reversed(TRANSLATABLE):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
