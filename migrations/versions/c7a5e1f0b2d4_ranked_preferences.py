"""ranked preferences: the event's allocation mode, registrations' preferences and pins

Revision ID: c7a5e1f0b2d4
Revises: c7d2e9a4f1b3
Create Date: 2026-12-05 08:30:00.000000

A registration may now be ``pending`` (preferences given, no seat yet): the CHECK constraint
of its status admits the new value.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a5e1f0b2d4'
down_revision = 'c7d2e9a4f1b3'
branch_labels = None
depends_on = None

OLD_STATUSES = ('confirmed', 'waitlisted', 'cancelled')
NEW_STATUSES = (*OLD_STATUSES, 'pending')


def _status(values):
    return sa.Enum(
        *values, name='registration_status', native_enum=False, create_constraint=True, length=20
    )


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('allocation_mode', sa.String(length=20), server_default='first-come',
                      nullable=False)
        )
        batch_op.add_column(sa.Column('ranks_asked', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('after_allocation', sa.String(length=20), server_default='first-come',
                      nullable=False)
        )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferences', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('pins', sa.JSON(), nullable=True))
        batch_op.alter_column(
            'status', existing_type=_status(OLD_STATUSES), type_=_status(NEW_STATUSES),
            existing_nullable=False,
        )


def downgrade():
    op.execute("UPDATE registration SET status = 'waitlisted' WHERE status = 'pending'")
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=_status(NEW_STATUSES), type_=_status(OLD_STATUSES),
            existing_nullable=False,
        )
        batch_op.drop_column('pins')
        batch_op.drop_column('preferences')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('after_allocation')
        batch_op.drop_column('ranks_asked')
        batch_op.drop_column('allocation_mode')
