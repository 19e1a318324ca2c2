"""region set-up: unit details, campaign title and policy version, withdrawn teachers, activation codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:45:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('school_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('township', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('policy_version', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    with op.batch_alter_table('teacherenrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activation_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('activation_expires_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('activation_expires_at')
        batch_op.drop_column('activation_digest')
    with op.batch_alter_table('teacherenrolment', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('policy_version')
        batch_op.drop_column('title')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('township')
        batch_op.drop_column('school_type')
