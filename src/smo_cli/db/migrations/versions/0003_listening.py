"""listening: sources, saved queries, mentions, tombstones and run records

Revision ID: 0003_listening
Revises: 0002_inventory
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from smo_cli.db.types import UTCDateTime

revision: str = '0003_listening'
down_revision: str | None = '0002_inventory'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('listen_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('listen_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listen_run_started_at'), ['started_at'], unique=False)

    op.create_table('saved_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', AutoString(length=100), nullable=False),
    sa.Column('group', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('saved_query', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_query_name'), ['name'], unique=True)

    op.create_table('source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', AutoString(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('base_url', AutoString(length=2000), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('poll_minutes', sa.Integer(), nullable=False),
    sa.Column('allow_private', sa.Boolean(), nullable=False),
    sa.Column('keep_all', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', AutoString(length=300), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('last_fetched_at', UTCDateTime(), nullable=True),
    sa.Column('last_success_at', UTCDateTime(), nullable=True),
    sa.Column('last_error', AutoString(length=1000), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_name'), ['name'], unique=True)

    op.create_table('tombstone',
    sa.Column('dedup_key', AutoString(length=600), nullable=False),
    sa.Column('reason', AutoString(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('dedup_key')
    )
    op.create_table('listen_run_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('source_name', AutoString(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('duplicate', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('detail', AutoString(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['listen_run.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('listen_run_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listen_run_source_run_id'), ['run_id'], unique=False)

    op.create_table('mention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('source_name', AutoString(length=100), nullable=False),
    sa.Column('dedup_key', AutoString(length=600), nullable=False),
    sa.Column('external_id', AutoString(length=500), nullable=True),
    sa.Column('url', AutoString(length=2000), nullable=True),
    sa.Column('author', AutoString(length=300), nullable=True),
    sa.Column('title', AutoString(length=1000), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('hashtags', sa.JSON(), nullable=False),
    sa.Column('lang', AutoString(length=10), nullable=True),
    sa.Column('sentiment', sa.String(length=10), nullable=True),
    sa.Column('sentiment_score', sa.Float(), nullable=True),
    sa.Column('published_at', UTCDateTime(), nullable=True),
    sa.Column('published_note', sa.String(length=10), nullable=True),
    sa.Column('first_seen_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=True),
    sa.Column('content_hash', AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mention_dedup_key'), ['dedup_key'], unique=True)
        batch_op.create_index('ix_mention_first_seen_at', ['first_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mention_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mention_source_id'), ['source_id'], unique=False)

    op.create_table('mention_query',
    sa.Column('mention_id', sa.Integer(), nullable=False),
    sa.Column('query_name', AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['mention.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mention_id', 'query_name')
    )
    with op.batch_alter_table('mention_query', schema=None) as batch_op:
        batch_op.create_index('ix_mention_query_query_name', ['query_name'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mention_query', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mention_query_query_name'))

    op.drop_table('mention_query')
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mention_source_id'))
        batch_op.drop_index(batch_op.f('ix_mention_published_at'))
        batch_op.drop_index(batch_op.f('ix_mention_first_seen_at'))
        batch_op.drop_index(batch_op.f('ix_mention_dedup_key'))

    op.drop_table('mention')
    with op.batch_alter_table('listen_run_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listen_run_source_run_id'))

    op.drop_table('listen_run_source')
    op.drop_table('tombstone')
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_name'))

    op.drop_table('source')
    with op.batch_alter_table('saved_query', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_query_name'))

    op.drop_table('saved_query')
    with op.batch_alter_table('listen_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listen_run_started_at'))

    op.drop_table('listen_run')
