"""report indexes: a period's inbox items found by their creation time

Revision ID: 0013_report_indexes
Revises: 0012_kpi_indexes
Create Date: 2026-11-27

The inbox figures of a period (response rate, within SLA, response times; the executive
report's risks and praise) are the items created in it. Without an index on `created_at` each
of those counts read the whole `assignment` table: a dozen scans for one `smo kpi report` or
`smo report executive`, however short the period (benchmarks/bench_kpi.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_report_indexes"
down_revision: str | None = "0012_kpi_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_assignment_created_at", "assignment", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_assignment_created_at", table_name="assignment")
