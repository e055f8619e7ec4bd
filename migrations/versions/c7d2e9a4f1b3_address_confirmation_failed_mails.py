"""address confirmation, links mailed again at most hourly, mails failed for good

Revision ID: c7d2e9a4f1b3
Revises: c7e2f5a1b3d8
Create Date: 2026-12-05 08:20:00.000000

Events gain "registrants confirm their address" (off) and the delay after which an
unconfirmed seat is released; registrations the secret of their confirmation link and the
time their link was last mailed again; an outbox row may end ``failed``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d2e9a4f1b3'
down_revision = 'c7e2f5a1b3d8'
branch_labels = None
depends_on = None

CHECK = 'ck_outbox_message_outbox_status'


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('confirm_address', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('confirm_hours', sa.Integer(), server_default='48', nullable=False)
        )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_mailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirm_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_registration_confirm_token'), ['confirm_token']
        )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(CHECK), type_='check')
        batch_op.create_check_constraint(
            batch_op.f(CHECK), "status IN ('queued', 'sent', 'failed')"
        )


def downgrade():
    op.execute("UPDATE outbox_message SET status = 'queued' WHERE status = 'failed'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(CHECK), type_='check')
        batch_op.create_check_constraint(batch_op.f(CHECK), "status IN ('queued', 'sent')")
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_confirm_token'), type_='unique')
        batch_op.drop_column('confirm_token')
        batch_op.drop_column('link_mailed_at')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('confirm_hours')
        batch_op.drop_column('confirm_address')
