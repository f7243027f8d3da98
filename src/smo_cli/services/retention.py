"""`smo db purge`: keep mentions, deliveries, run records and logs only as long as needed.

Rows go in batches, each its own short transaction, so a listen run started by cron meanwhile
waits for one batch at most rather than for the whole purge. A purged mention leaves a tombstone
under the same dedup key the store uses, so no source can bring it back. Mentions that still
have an open inbox item stay, with the item: someone has yet to answer them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, SQLModel, col

from smo_cli.config import RetentionSettings
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import (
    Assignment,
    AssignmentEvent,
    ListenRun,
    ListenRunSource,
    Mention,
    MentionQuery,
    OutboxMessage,
    Post,
    Tombstone,
    table_of,
)
from smo_cli.db.types import utcnow
from smo_cli.errors import UsageError

BATCH = 5_000          # rows per transaction
ID_CHUNK = 1_000       # ids per IN (...): far below every backend's limit on bound parameters
LOG_FOLDER = "logs"
# Calendar months and years vary; a retention limit does not need to.
UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_AGE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)


def parse_age(text: str) -> int:
    """`180d`, `12w`, `6m` (30 days each) or `1y` (365 days) as a number of days."""
    match = _AGE.match(text)
    if match is None:
        raise UsageError(f"--older-than {text!r} is not an age",
                         hint="write a number and d, w, m or y, e.g. 180d, 12w, 6m, 1y")
    days = int(match.group(1)) * UNIT_DAYS[match.group(2).lower()]
    if days < 1:
        raise UsageError("--older-than must be at least one day")
    return days


@dataclass(frozen=True)
class Limits:
    """Days to keep each kind of record; None keeps it for ever."""

    mentions: int | None
    deliveries: int | None
    runs: int | None
    logs: int | None

    @classmethod
    def of(cls, settings: RetentionSettings) -> Limits:
        return cls(settings.mentions_days, settings.deliveries_days, settings.runs_days,
                   settings.logs_days)

    @classmethod
    def uniform(cls, days: int) -> Limits:
        return cls(days, days, days, days)


@dataclass(frozen=True)
class PurgeLine:
    kind: str
    older_than: str
    deleted: int
    kept: int
    detail: str


@dataclass(frozen=True)
class MentionRemoval:
    """What went with a set of mentions (they cascade; counted for the report)."""

    mentions: int = 0
    query_links: int = 0
    inbox_items: int = 0
    events: int = 0
    messages: int = 0


def purge(engine: Engine, workspace_root: Path, limits: Limits, *, dry_run: bool = False,
          now: datetime | None = None, batch: int = BATCH) -> list[PurgeLine]:
    """Delete what is older than its limit (or, with `dry_run`, count it); one line per kind."""
    now = now or utcnow()

    def cutoff(days: int | None) -> datetime | None:
        return None if days is None else now - timedelta(days=days)

    return [
        _purge_mentions(engine, cutoff(limits.mentions), limits.mentions, dry_run, now, batch),
        _purge_deliveries(engine, cutoff(limits.deliveries), limits.deliveries, dry_run, batch),
        _purge_runs(engine, cutoff(limits.runs), limits.runs, dry_run, batch),
        _purge_logs(workspace_root / LOG_FOLDER, cutoff(limits.logs), limits.logs, dry_run),
    ]


def _age(days: int | None) -> str:
    return "kept for ever" if days is None else f"{days} days"


def _purge_mentions(engine: Engine, before: datetime | None, days: int | None, dry_run: bool,
                    now: datetime, batch: int) -> PurgeLine:
    if before is None:
        return PurgeLine("mentions", _age(days), 0, 0, "retention.mentions_days is not set")
    old = col(Mention.first_seen_at) < before
    open_item = exists().where(col(Assignment.mention_id) == col(Mention.id),
                               col(Assignment.state) != "closed")
    with reading(engine) as session:
        kept = _count(session, select(func.count()).select_from(Mention).where(old, open_item))
        if dry_run:
            due = _count(session, select(func.count()).select_from(Mention)
                         .where(old, ~open_item))
            return PurgeLine("mentions", _age(days), due, kept, _kept_note(kept))
    totals: Counter[str] = Counter()

    def remove(session: Session, ids: list[int]) -> int:
        keys = list(session.scalars(select(col(Mention.dedup_key))
                                    .where(col(Mention.id).in_(ids))))
        totals["tombstones"] += tombstone(session, keys, f"purged: older than {days} days", now)
        removal = delete_mentions(session, ids)
        totals.update({k: v for k, v in vars(removal).items() if k != "mentions"})
        return removal.mentions

    pick = select(col(Mention.id)).where(old, ~open_item).order_by(col(Mention.id))
    deleted = _in_batches(engine, pick, remove, batch)
    detail = (f"with {totals['query_links']} query links, {totals['inbox_items']} closed inbox "
              f"items ({totals['events']} events, {totals['messages']} messages); "
              f"{totals['tombstones']} tombstones left" if deleted else "")
    return PurgeLine("mentions", _age(days), deleted, kept,
                     "; ".join(filter(None, (detail, _kept_note(kept)))))


def _kept_note(kept: int) -> str:
    return f"{kept} kept: they have open inbox items" if kept else ""


def _purge_deliveries(engine: Engine, before: datetime | None, days: int | None,
                      dry_run: bool, batch: int) -> PurgeLine:
    if before is None:
        return PurgeLine("deliveries", _age(days), 0, 0, "retention.deliveries_days is not set")
    sent = (col(OutboxMessage.state) == "sent", col(OutboxMessage.sent_at) < before)
    if dry_run:
        with reading(engine) as session:
            due = _count(session, select(func.count()).select_from(OutboxMessage).where(*sent))
        return PurgeLine("deliveries", _age(days), due, 0, "sent messages")

    def remove(session: Session, ids: list[int]) -> int:
        return _delete(session, OutboxMessage, col(OutboxMessage.id).in_(ids))

    pick = select(col(OutboxMessage.id)).where(*sent).order_by(col(OutboxMessage.id))
    return PurgeLine("deliveries", _age(days), _in_batches(engine, pick, remove, batch), 0,
                     "sent messages; pending and failed ones stay")


def _purge_runs(engine: Engine, before: datetime | None, days: int | None, dry_run: bool,
                batch: int) -> PurgeLine:
    if before is None:
        return PurgeLine("runs", _age(days), 0, 0, "retention.runs_days is not set")
    # The newest run that worked stays whatever its age, so `smo doctor` can still tell when
    # listening last succeeded.
    last_good = (select(func.max(col(ListenRun.id)))
                 .where(col(ListenRun.status).in_(("ok", "partial"))).scalar_subquery())
    old = (col(ListenRun.started_at) < before, col(ListenRun.status) != "running",
           col(ListenRun.id) != func.coalesce(last_good, 0))
    if dry_run:
        with reading(engine) as session:
            due = _count(session, select(func.count()).select_from(ListenRun).where(*old))
        return PurgeLine("runs", _age(days), due, 0, "listen run records")

    def remove(session: Session, ids: list[int]) -> int:
        _delete(session, ListenRunSource, col(ListenRunSource.run_id).in_(ids))
        return _delete(session, ListenRun, col(ListenRun.id).in_(ids))

    pick = select(col(ListenRun.id)).where(*old).order_by(col(ListenRun.id))
    return PurgeLine("runs", _age(days), _in_batches(engine, pick, remove, batch), 0,
                     "listen run records (the last good one stays)")


def _purge_logs(folder: Path, before: datetime | None, days: int | None,
                dry_run: bool) -> PurgeLine:
    if before is None:
        return PurgeLine("logs", _age(days), 0, 0, "retention.logs_days is not set")
    if not folder.is_dir():
        return PurgeLine("logs", _age(days), 0, 0, f"no {folder}")
    count = size = 0
    for path in sorted(folder.rglob("*")):
        # Never follow a link out of the workspace; only plain files are logs.
        if path.is_symlink() or not path.is_file():
            continue
        info = path.stat()
        if info.st_mtime >= before.timestamp():
            continue
        if not dry_run:
            try:
                path.unlink()
            except OSError:
                continue          # not ours to remove (permissions): leave it, count the rest
        count += 1
        size += info.st_size
    return PurgeLine("logs", _age(days), count, 0, f"files, {size:,} bytes, in {folder}")


def _in_batches(engine: Engine, pick: Select[Any], remove: Callable[[Session, list[int]], int],
                batch: int) -> int:
    """Pick up to `batch` ids and remove them, each batch its own transaction, until none."""
    total = 0
    while True:
        with transaction(engine) as session:
            ids = [int(i) for i in session.scalars(pick.limit(batch))]
            if not ids:
                return total
            removed = sum(remove(session, chunk) for chunk in _chunks(ids))
        total += removed
        if removed == 0:           # nothing could go (never expected): do not spin
            return total


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[start:start + ID_CHUNK]) for start in range(0, len(ids), ID_CHUNK)]


def delete_mentions(session: Session, ids: Sequence[int]) -> MentionRemoval:
    """Delete mentions with their query links, inbox items, their events and messages.

    Explicit rather than left to ON DELETE CASCADE: the counts go in the report, and it does not
    depend on the connection having foreign keys switched on. Posts answering an item keep
    their text (they are the company's own words) and lose only the link to it.
    """
    counts: Counter[str] = Counter()
    for chunk in _chunks(ids):
        items = select(col(Assignment.id)).where(col(Assignment.mention_id).in_(chunk))
        session.execute(update(Post).where(col(Post.reply_to).in_(items)).values(reply_to=None)
                        .execution_options(synchronize_session=False))
        counts["events"] += _delete(session, AssignmentEvent,
                                    col(AssignmentEvent.assignment_id).in_(items))
        counts["messages"] += _delete(session, OutboxMessage,
                                      col(OutboxMessage.assignment_id).in_(items))
        counts["inbox_items"] += _delete(session, Assignment,
                                         col(Assignment.mention_id).in_(chunk))
        counts["query_links"] += _delete(session, MentionQuery,
                                         col(MentionQuery.mention_id).in_(chunk))
        counts["mentions"] += _delete(session, Mention, col(Mention.id).in_(chunk))
    return MentionRemoval(**counts)


def tombstone(session: Session, keys: Sequence[str], reason: str, now: datetime) -> int:
    """Record dedup keys that must never be stored again; keys already there stay as they are."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return 0
    table = table_of(Tombstone)
    statement: Any
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedup_key"])
    elif dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedup_key"])
    else:
        known = set(session.scalars(select(col(Tombstone.dedup_key))
                                    .where(col(Tombstone.dedup_key).in_(unique))))
        unique = [key for key in unique if key not in known]
        statement = insert(table)
    rows = [{"dedup_key": key, "reason": reason[:200], "created_at": now} for key in unique]
    for start in range(0, len(rows), ID_CHUNK):
        session.execute(statement, rows[start:start + ID_CHUNK])
    return len(rows)


def vacuum(engine: Engine) -> None:
    """Give the space of deleted rows back to the file system (SQLite) or planner (PostgreSQL).

    Outside any transaction: both refuse VACUUM inside one, so it runs on the driver connection.
    """
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        if engine.dialect.name == "postgresql":
            raw.autocommit = True
            try:
                raw.execute("VACUUM ANALYZE")
            finally:
                raw.autocommit = False
        else:
            raw.execute("VACUUM")


def _count(session: Session, statement: Select[Any]) -> int:
    return int(session.execute(statement).scalar_one())


def _delete(session: Session, model: type[SQLModel], where: ColumnElement[bool]) -> int:
    """A bulk DELETE, without loading rows into the session; the number of rows deleted."""
    result = session.execute(delete(model).where(where)
                             .execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)
