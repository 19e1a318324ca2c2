"""outbox: one entry per attempt of a task (a refused decision reopens its task, which is decided again)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:20:00

`outboxentry.task_id` was unique, so a task reopened after a refusal could never be completed again. Each decision
now carries `task_attempt` (1, 2, ...), unique per task, and a partial unique index keeps one pending decision per
task. Existing rows are attempt 1 (there was at most one per task).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# SQLite reflects the old UNIQUE(task_id) without a name: name it so batch mode can drop it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
PENDING_ONLY = sa.text("status = 'pending'")


def _old_unique_name() -> str:
    return "outboxentry_task_id_key" if op.get_bind().dialect.name == "postgresql" else "uq_outboxentry_task_id"


def upgrade() -> None:
    with op.batch_alter_table('outboxentry', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('task_attempt', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_constraint(_old_unique_name(), type_='unique')
        batch_op.create_unique_constraint('uq_outboxentry_task_attempt', ['task_id', 'task_attempt'])
    op.create_index('uq_outboxentry_pending_task', 'outboxentry', ['task_id'], unique=True,
                    sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY)


def downgrade() -> None:
    # Only possible while no task has been decided twice (the old schema holds one decision per task).
    op.drop_index('uq_outboxentry_pending_task', table_name='outboxentry')
    with op.batch_alter_table('outboxentry', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('uq_outboxentry_task_attempt', type_='unique')
        batch_op.create_unique_constraint(_old_unique_name(), ['task_id'])
        batch_op.drop_column('task_attempt')
