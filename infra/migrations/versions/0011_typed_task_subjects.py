"""typed task subjects: humantask.submission_id replaces the 'submission:<id>' string

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

FK = 'fk_humantask_submission_id_submission'


def upgrade() -> None:
    with op.batch_alter_table('humantask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_humantask_submission_id'), ['submission_id'], unique=False)
        batch_op.create_foreign_key(FK, 'submission', ['submission_id'], ['id'])
    # A subject 'submission:<id>' names its submission; only ids that exist are kept (the foreign key), any other
    # subject ('school_enrolment:<id>') is the task's school, already in school_enrolment_id.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE humantask SET submission_id = submission.id FROM submission "
                   "WHERE submission.id = substring(humantask.subject from '^submission:([0-9]{1,9})$')::integer")
    else:
        op.execute("UPDATE humantask SET submission_id = (SELECT submission.id FROM submission WHERE submission.id = "
                   "CAST(substr(humantask.subject, 12) AS INTEGER)) WHERE subject LIKE 'submission:%'")
    with op.batch_alter_table('humantask', schema=None) as batch_op:
        batch_op.drop_column('subject')


def downgrade() -> None:
    with op.batch_alter_table('humantask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.execute("UPDATE humantask SET subject = CASE "
               "WHEN submission_id IS NOT NULL THEN 'submission:' || CAST(submission_id AS VARCHAR) "
               "WHEN school_enrolment_id IS NOT NULL THEN 'school_enrolment:' || CAST(school_enrolment_id AS VARCHAR) "
               "ELSE '' END")
    with op.batch_alter_table('humantask', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_humantask_submission_id'))
        batch_op.drop_column('submission_id')
