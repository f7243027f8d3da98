"""kpi indexes: mention counts per sentiment from the indexes alone

Revision ID: 0012_kpi_indexes
Revises: 0011_kpi
Create Date: 2026-11-27

`smo kpi report` counts a month's mentions per sentiment for six periods (the trend). With the
sentiment in the index, those counts read the index only instead of every mention row: on a
million mentions that halves the time of the sentiment counts (benchmarks/bench_kpi.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_kpi_indexes"
down_revision: str | None = "0011_kpi"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mentions published in a window ...
    op.create_index("ix_mention_published_sentiment", "mention", ["published_at", "sentiment"])
    # ... and those without a publication date, first seen in it.
    op.create_index("ix_mention_seen_published_sentiment", "mention",
                    ["first_seen_at", "published_at", "sentiment"])


def downgrade() -> None:
    op.drop_index("ix_mention_seen_published_sentiment", table_name="mention")
    op.drop_index("ix_mention_published_sentiment", table_name="mention")
