"""`smo listen run`: fetch every due source concurrently, store each one's mentions as it lands.

Each source is stored in its own transaction as soon as its fetch ends, so a run killed half-way
keeps what it finished and the next run picks up from the stored state. One failing source never
stops the others: its error is recorded, three real failures in a row suspend it, 410 Gone
disables it, and a rate limit is a pause, not a failure.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smo_cli import __version__
from smo_cli.db.engine import transaction
from smo_cli.db.models import ListenRun, ListenRunSource, Source
from smo_cli.db.types import utcnow
from smo_cli.errors import Conflict, NotFound
from smo_cli.services import mentions, queries
from smo_cli.services.sources import SECRETS, status_of
from smo_cli.sources.base import FetchError, FetchResult, Gone, RateLimited, Refused, SourceSpec
from smo_cli.sources.http import GuardedHttp, HostPolicy, Resolver, system_resolve

SUSPEND_AFTER = 3
MAX_PARALLEL = 64          # requests in flight; each host still gets at most 2
TIMEOUT_SECONDS = 20.0
USER_AGENT = f"smo/{__version__} (listening; +https://github.com/smo-cli)"


@dataclass
class SourceOutcome:
    name: str
    outcome: str = "ok"         # ok | not_modified | error | rate_limited | refused | gone
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    updated: int = 0
    dropped: int = 0
    detail: str | None = None
    new_ids: tuple[int, ...] = ()     # what routing (issue 4) will pick up

    @property
    def failed(self) -> bool:
        return self.outcome in ("error", "refused", "gone")


@dataclass
class RunSummary:
    run_id: int
    status: str                 # ok | partial | failed
    outcomes: list[SourceOutcome] = field(default_factory=list)
    new_mention_ids: list[int] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.failed)


@contextmanager
def run_lock(workspace_root: Path) -> Iterator[None]:
    """One listen run at a time per workspace; a second one gets Conflict at once, not a wait."""
    path = workspace_root / ".smo-listen.lock"
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict("another listen run holds the lock", hint=str(path)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def due_sources(session: Session, now: datetime, *, only: str | None = None,
                every_source: bool = False) -> list[Source]:
    """Enabled, unsuspended sources whose poll interval and rate-limit pause have passed.

    `only` names one source, fetched whatever its interval; `every_source` ignores intervals.
    """
    if only is not None:
        source = session.exec(select(Source).where(col(Source.name) == only.lower())).first()
        if source is None:
            raise NotFound(f"no source named {only!r}", hint="see `smo sources list`")
        # Naming a source skips its poll interval, not the reasons it is not polled.
        if not source.enabled or source.suspended:
            why = source.disabled_reason or source.last_error or "after repeated failures"
            raise Conflict(f"source {source.name} is {status_of(source)} ({why})",
                           hint=f"`smo sources enable {source.name}` first")
        paused = source.state.get("retry_after_until")
        if paused and datetime.fromisoformat(paused) > now:
            raise Conflict(f"{source.name}'s host asked us to wait until {paused}",
                           hint="try again later")
        return [source]
    active = session.exec(select(Source).where(col(Source.enabled), ~col(Source.suspended))
                          .order_by(col(Source.name))).all()
    return [s for s in active if every_source or _is_due(s, now)]


def _is_due(source: Source, now: datetime) -> bool:
    paused = source.state.get("retry_after_until")
    if paused and datetime.fromisoformat(paused) > now:
        return False
    if source.last_fetched_at is None:
        return True
    # A minute of slack, so a 15-minute source polled by a 15-minute cron job is not skipped
    # because this run started a few seconds earlier than the last one.
    return (now - source.last_fetched_at).total_seconds() >= (source.poll_minutes - 1) * 60


def spec_of(source: Source, env: Mapping[str, str]) -> SourceSpec:
    secrets = {name: env[name] for name in SECRETS.get(source.kind, ()) if env.get(name)}
    return SourceSpec(name=source.name, kind=source.kind, base_url=source.base_url,
                      params=dict(source.params), allow_private=source.allow_private,
                      secrets=secrets)


class NlpClassifier:
    """The offline language detector and sentiment analyser (smo_cli.nlp)."""

    def language(self, text: str, declared: str | None) -> str | None:
        from smo_cli.nlp import detect_language

        return detect_language(text, declared)

    def sentiment(self, text: str, lang: str | None) -> tuple[str | None, float | None]:
        from smo_cli.nlp import sentiment

        verdict = sentiment(text, lang)
        return verdict.label, round(verdict.score, 3)


CLASSIFIER = NlpClassifier()


def classify(text: str, declared: str | None) -> tuple[str | None, str | None, float | None]:
    """Language, sentiment label and score of one text (for previews)."""
    lang = CLASSIFIER.language(text, declared)
    label, score = CLASSIFIER.sentiment(text, lang)
    return lang, label, score


def run_listen(engine: Engine, env: Mapping[str, str], *, only: str | None = None,
               every_source: bool = False,
               transport: httpx.AsyncBaseTransport | None = None,
               resolve: Resolver = system_resolve, now: Callable[[], datetime] = utcnow,
               on_done: Callable[[SourceOutcome], None] | None = None) -> RunSummary:
    """Fetch and store every due source (or just `only`); returns what happened per source."""
    with transaction(engine) as session:
        sources = due_sources(session, now(), only=only, every_source=every_source)
        specs = [(s.id or 0, s.kind, s.keep_all, spec_of(s, env), dict(s.state))
                 for s in sources]
        compiled = queries.query_set(session)
        # We hold the lock, so a run still marked "running" was killed before it finished.
        for killed in session.exec(select(ListenRun).where(col(ListenRun.status) == "running")):
            killed.status = "killed"
        run = ListenRun(started_at=now())
        session.add(run)
        session.flush()
        run_id = run.id or 0
    summary = RunSummary(run_id=run_id, status="ok")

    def store(source_id: int, kind: str, keep_all: bool, spec: SourceSpec,
              result: FetchResult | BaseException) -> None:
        try:
            outcome = _store_one(engine, run_id, source_id, kind, keep_all, spec, result,
                                 compiled, now())
        except Exception as exc:
            # Storing one source failed (the database stayed locked, a bug in matching):
            # its transaction rolled back; record that, and let the other sources go on.
            outcome = SourceOutcome(spec.name, outcome="error",
                                    detail=f"not stored: {type(exc).__name__}: {exc}"[:1000])
        summary.outcomes.append(outcome)
        summary.new_mention_ids.extend(outcome.new_ids)
        if on_done is not None:
            on_done(outcome)

    asyncio.run(_fetch_all(specs, transport, resolve, store))
    summary.status = ("failed" if summary.outcomes and summary.errors == len(summary.outcomes)
                      else "partial" if summary.errors else "ok")
    with transaction(engine) as session:
        record = session.get(ListenRun, run_id)
        assert record is not None
        record.finished_at, record.status = now(), summary.status
        record.new, record.errors = summary.new, summary.errors
    summary.outcomes.sort(key=lambda o: o.name)
    return summary


async def _fetch_all(specs: Sequence[tuple[int, str, bool, SourceSpec, dict[str, Any]]],
                     transport: httpx.AsyncBaseTransport | None, resolve: Resolver,
                     store: Callable[..., None]) -> None:
    from smo_cli.sources.base import source_for

    policy = HostPolicy()
    limit = asyncio.Semaphore(MAX_PARALLEL)
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_SECONDS,
                                 headers={"User-Agent": USER_AGENT}) as client:

        async def one(source_id: int, kind: str, keep_all: bool, spec: SourceSpec,
                      state: dict[str, Any]) -> None:
            http = GuardedHttp(client, allow_private=spec.allow_private, policy=policy,
                               resolve=resolve)
            result: FetchResult | BaseException
            async with limit:
                try:
                    result = await source_for(kind).fetch(http, spec, state)
                except Exception as exc:
                    # One source never stops the others, even through a bug in its adapter;
                    # the run records it as "internal error: ..." for that source.
                    result = exc
            store(source_id, kind, keep_all, spec, result)

        await asyncio.gather(*(one(*args) for args in specs))


def _store_one(engine: Engine, run_id: int, source_id: int, kind: str, keep_all: bool,
               spec: SourceSpec, result: FetchResult | BaseException, compiled: Any,
               now: datetime) -> SourceOutcome:
    outcome = SourceOutcome(spec.name)
    if isinstance(result, FetchResult) and result.not_modified and not result.items:
        return _store_not_modified(engine, run_id, source_id, spec.name, result, now)
    with transaction(engine) as session:
        source = session.get(Source, source_id)
        source_exists = source is not None
        if isinstance(result, FetchResult):
            stored = mentions.store_items(
                session, result.items, source_id=source_id if source_exists else None,
                source_name=spec.name, kind=kind, keep_all=keep_all,
                match=queries.matcher_for(compiled, kind), classify=CLASSIFIER, now=now)
            outcome.outcome = "not_modified" if result.not_modified else "ok"
            outcome.fetched, outcome.new = stored.fetched, stored.new
            outcome.duplicate, outcome.updated = stored.duplicate, stored.updated
            outcome.dropped, outcome.new_ids = stored.dropped, stored.new_ids
            if source is not None:
                source.state = result.state
                source.failures, source.last_error = 0, None
                source.last_success_at = now
        else:
            _record_failure(source, result, outcome, now)
        if source is not None:
            source.last_fetched_at = now
        session.add(ListenRunSource(run_id=run_id, source_name=spec.name,
                                    outcome=outcome.outcome, fetched=outcome.fetched,
                                    new=outcome.new, duplicate=outcome.duplicate,
                                    updated=outcome.updated, detail=outcome.detail))
    return outcome


def _store_not_modified(engine: Engine, run_id: int, source_id: int, name: str,
                        result: FetchResult, now: datetime) -> SourceOutcome:
    """The common case of a frequent poll (304): two plain statements, no objects loaded."""
    from sqlalchemy import insert, update

    from smo_cli.db.models import table_of

    sources, runs = table_of(Source), table_of(ListenRunSource)
    with transaction(engine) as session:
        session.execute(update(sources).where(sources.c.id == source_id).values(
            state=result.state, failures=0, last_error=None, last_success_at=now,
            last_fetched_at=now))
        session.execute(insert(runs).values(run_id=run_id, source_name=name,
                                            outcome="not_modified", fetched=0, new=0,
                                            duplicate=0, updated=0, detail=None))
    return SourceOutcome(name, outcome="not_modified")


def _record_failure(source: Source | None, error: BaseException, outcome: SourceOutcome,
                    now: datetime) -> None:
    detail = error.detail if isinstance(error, FetchError) else (
        f"internal error: {type(error).__name__}: {error}")
    outcome.detail = detail[:1000]
    if isinstance(error, RateLimited):
        outcome.outcome = "rate_limited"
        if source is not None:
            until = datetime.fromtimestamp(now.timestamp() + error.retry_after_seconds, UTC)
            source.state = {**source.state, "retry_after_until": until.isoformat()}
        return
    outcome.outcome = "gone" if isinstance(error, Gone) else (
        "refused" if isinstance(error, Refused) else "error")
    if source is None:
        return
    source.last_error = detail[:1000]
    if isinstance(error, Gone):
        source.enabled = False
        source.disabled_reason = detail[:300]
        return
    source.failures += 1
    if source.failures >= SUSPEND_AFTER:
        source.suspended = True


def recent_runs(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    runs = session.exec(select(ListenRun).order_by(col(ListenRun.id).desc()).limit(limit)).all()
    return [{"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at,
             "status": r.status, "new": r.new, "errors": r.errors} for r in runs]


@dataclass(frozen=True)
class Preview:
    """What `sources test` shows for one fetched item: what would happen to it, and why."""

    verdict: str                # new | known | edited | no query matched | tombstoned
    queries: list[str]
    lang: str | None
    sentiment: str | None
    published_at: datetime | None
    title: str
    url: str | None


def preview_source(engine: Engine, env: Mapping[str, str], name: str, *,
                   transport: httpx.AsyncBaseTransport | None = None,
                   resolve: Resolver = system_resolve) -> tuple[SourceOutcome, list[Preview]]:
    """Fetch one source once and say what a run would store, without storing anything."""
    from smo_cli.db.engine import reading
    from smo_cli.db.models import Mention, Tombstone

    with reading(engine) as session:
        source = session.exec(select(Source).where(col(Source.name) == name.lower())).first()
        if source is None:
            raise NotFound(f"no source named {name!r}", hint="see `smo sources list`")
        spec, kind, keep_all = spec_of(source, env), source.kind, source.keep_all
        # Without the validators: a test should show the items, not "not modified".
        state = {k: v for k, v in source.state.items() if k not in ("etag", "last_modified")}
        compiled = queries.query_set(session)
    results: list[FetchResult | BaseException] = []
    asyncio.run(_fetch_all([(0, kind, keep_all, spec, state)], transport, resolve,
                           lambda *args: results.append(args[-1])))
    (result,) = results
    outcome = SourceOutcome(spec.name)
    if not isinstance(result, FetchResult):
        _record_failure(None, result, outcome, utcnow())
        return outcome, []
    outcome.outcome = "not_modified" if result.not_modified else "ok"
    outcome.fetched = len(result.items)
    match = queries.matcher_for(compiled, kind)
    previews: list[Preview] = []
    with reading(engine) as session:
        for raw in result.items:
            item = mentions.normalise(raw)
            key = mentions.dedup_key(item, source_name=spec.name, kind=kind)
            lang, label, _score = classify(" ".join(filter(None, (item.title, item.text))),
                                           item.lang)
            matched = match(replace(item, lang=lang), spec.name)
            stored = session.exec(select(Mention).where(col(Mention.dedup_key) == key)).first()
            if session.get(Tombstone, key) is not None:
                verdict = "tombstoned"
            elif stored is not None:
                verdict = "edited" if stored.content_hash != mentions.content_hash(item) else (
                    "known")
            elif not matched and not keep_all:
                verdict = "no query matched"
            else:
                verdict = "new"
            previews.append(Preview(verdict, matched, lang, label, item.published_at,
                                    (item.title or item.text)[:120], item.url))
    return outcome, previews


def run_details(session: Session, run_id: int) -> list[dict[str, Any]]:
    """Per-source outcomes of one run, for `smo listen show RUN`."""
    if session.get(ListenRun, run_id) is None:
        raise NotFound(f"no listen run {run_id}", hint="see `smo listen runs`")
    rows = session.exec(select(ListenRunSource).where(col(ListenRunSource.run_id) == run_id)
                        .order_by(col(ListenRunSource.source_name))).all()
    return [{"source": r.source_name, "outcome": r.outcome, "fetched": r.fetched, "new": r.new,
             "duplicate": r.duplicate, "updated": r.updated, "detail": r.detail} for r in rows]
