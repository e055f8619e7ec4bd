"""audit trail: who did what and when, per event

Revision ID: c7a2e5d8f1b3
Revises: b1c4a7e2d9f0
Create Date: 2026-12-05 08:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a2e5d8f1b3'
down_revision = 'b1c4a7e2d9f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sa.String(length=254), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('subject_label', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_entry_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_audit_entry_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_event_id_id', ['event_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_entry_subject', ['subject_kind', 'subject_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_subject')
        batch_op.drop_index('ix_audit_entry_event_id_id')

    op.drop_table('audit_entry')
