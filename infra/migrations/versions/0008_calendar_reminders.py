"""campaign calendar overrides, reminder ledger, in-app notifications, person e-mail

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00

Written to follow 0006; re-pointed to the year-end closeout's 0007 because that revision is in the tree
(two heads would stop `alembic upgrade head`). Nothing here depends on 0007's tables.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))

    op.create_table('calendaroverride',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('set_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'scope', 'name')
    )
    with op.batch_alter_table('calendaroverride', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendaroverride_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendaroverride_unit_id'), ['unit_id'], unique=False)

    op.create_table('reminderdelivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('digest_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'campaign_id', 'channel', 'day')
    )
    with op.batch_alter_table('reminderdelivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminderdelivery_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminderdelivery_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminderdelivery_person_id'), ['person_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_person_id'))
        batch_op.drop_index(batch_op.f('ix_notification_campaign_id'))
    op.drop_table('notification')
    with op.batch_alter_table('reminderdelivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminderdelivery_person_id'))
        batch_op.drop_index(batch_op.f('ix_reminderdelivery_day'))
        batch_op.drop_index(batch_op.f('ix_reminderdelivery_campaign_id'))
    op.drop_table('reminderdelivery')
    with op.batch_alter_table('calendaroverride', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendaroverride_unit_id'))
        batch_op.drop_index(batch_op.f('ix_calendaroverride_campaign_id'))
    op.drop_table('calendaroverride')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('email')
