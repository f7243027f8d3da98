"""Publishing what is due (`smo engage publish-due`, for cron) and `post` without --at.

The rules, because a post must go out exactly once:

- A due post is *claimed* with one UPDATE … WHERE state = 'scheduled': of two runs at once,
  one changes the row and publishes; the other changes nothing and leaves it alone.
- Each account has its own PostDelivery. Its state is set to `sending` and committed *before*
  the request goes out, so a crash leaves a trace; a published delivery is never sent again,
  so a post that reached Mastodon but not Bluesky is retried on Bluesky only.
- Every check that can refuse the post (credentials, the Mastodon server's own limit) runs for
  all its accounts before anything is sent to any of them.
- A retryable failure (rate limit, server error, no answer) puts the post back to `scheduled`
  with `retry_at`; after MAX_ATTEMPTS, or at once for a permanent one (a refused token, a
  refused text), it is `failed`. A post still `publishing` after STUCK_AFTER was cut off mid-way:
  it is reported and left alone. Retrying it is the officer's decision (`schedule ID`), with
  the same Idempotency-Key on Mastodon and a look for the first record on Bluesky.
- Failures and stuck posts are loud: the command exits non-zero and the officer gets a message
  through the outbox (like `policy remind`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import or_, update
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import Post, PostDelivery
from smo_cli.db.models import table_of as _table
from smo_cli.db.types import utcnow
from smo_cli.publish.base import (
    MediaFile,
    NotValid,
    Outgoing,
    Published,
    Publisher,
    PublishError,
    RetryLater,
)
from smo_cli.services.engage_alerts import tell_officer
from smo_cli.services.engage_clients import Connections, connections, guarded
from smo_cli.services.inbox_reply import record_reply, responder
from smo_cli.sources.http import Resolver, system_resolve

STUCK_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 5
OUTCOME_COLUMNS = ["post", "account", "platform", "result", "url", "detail"]


@dataclass(frozen=True)
class Outcome:
    post: int
    account: str
    platform: str
    result: str                     # published | retry | failed
    url: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Stuck:
    post: int
    claimed_at: datetime
    accounts: list[str]             # deliveries not known to be published


@dataclass
class PublishReport:
    outcomes: list[Outcome] = field(default_factory=list)
    stuck: list[Stuck] = field(default_factory=list)
    failed_posts: list[int] = field(default_factory=list)
    messages: int = 0               # queued to the officer
    unmessaged: str | None = None   # why failures could not be messaged

    @property
    def ok(self) -> bool:
        return not self.failed_posts and not self.stuck


@dataclass(frozen=True)
class _Delivery:
    id: int
    post_id: int
    account: str
    platform: str
    key: str
    attempts: int
    started_at: datetime | None


@dataclass(frozen=True)
class _Job:
    post_id: int
    text: str
    media: tuple[MediaFile, ...]
    langs: tuple[str, ...]
    reply_url: str | None
    deliveries: list[_Delivery]


def publish_due(engine: Engine, workspace: Workspace, env: Mapping[str, str], *,
                only: int | None = None, now: datetime | None = None,
                transport: httpx.AsyncBaseTransport | None = None,
                resolve: Resolver = system_resolve) -> PublishReport:
    """Publish every due scheduled post (or just post `only`, if it is due), each exactly once."""
    # With `now` given (tests), every step happens at that moment; otherwise the clock runs.
    clock: Callable[[], datetime] = utcnow if now is None else (lambda: fixed)
    now = fixed = now or utcnow()
    report = PublishReport(stuck=find_stuck(engine, now))
    with reading(engine) as session:
        candidates = _due(session, now, only)
    if candidates:
        asyncio.run(_publish_all(engine, workspace, env, candidates, report, clock, transport,
                                 resolve))
    tell_officer(engine, workspace, env, report, now)
    return report


def find_stuck(engine: Engine, now: datetime) -> list[Stuck]:
    with reading(engine) as session:
        posts = session.exec(select(Post).where(
            col(Post.state) == "publishing", col(Post.claimed_at) < now - STUCK_AFTER)
            .order_by(col(Post.id))).all()
        return [Stuck(p.id or 0, p.claimed_at or now, [
            d.account for d in session.exec(select(PostDelivery).where(
                col(PostDelivery.post_id) == p.id, col(PostDelivery.state) != "published"))])
            for p in posts]


def _due(session: Session, now: datetime, only: int | None) -> list[int]:
    statement = select(col(Post.id)).where(
        col(Post.state) == "scheduled", col(Post.scheduled_at) <= now,
        or_(col(Post.retry_at).is_(None), col(Post.retry_at) <= now))
    if only is not None:
        statement = statement.where(col(Post.id) == only)
    return [i for i in session.exec(statement.order_by(col(Post.scheduled_at), col(Post.id)))
            if i is not None]


def _claim(engine: Engine, workspace: Workspace, post_id: int, now: datetime) -> _Job | None:
    """Take the post for this run, or None when another run took it first."""
    with transaction(engine) as session:
        posts = _table(Post)
        claimed = cast(CursorResult[Any], session.execute(update(posts).where(
            posts.c.id == post_id, posts.c.state == "scheduled", posts.c.scheduled_at <= now,
            or_(posts.c.retry_at.is_(None), posts.c.retry_at <= now),   # another run's backoff
        ).values(state="publishing", claimed_at=now, updated_at=now)))
        if claimed.rowcount != 1:
            return None
        post = session.get(Post, post_id)
        assert post is not None
        existing = {d.account: d for d in session.exec(select(PostDelivery).where(
            col(PostDelivery.post_id) == post_id))}
        for name in post.accounts:
            if name not in existing:
                account = workspace.settings.engage.account(name)
                existing[name] = PostDelivery(
                    post_id=post_id, account=name,
                    platform=account.platform if account else "unknown",
                    idempotency_key=f"smo-post-{post_id}-{name}-{uuid.uuid4().hex[:16]}")
                session.add(existing[name])
        session.flush()
        deliveries = [_Delivery(d.id or 0, post_id, d.account, d.platform, d.idempotency_key,
                                d.attempts, d.started_at)
                      for name, d in existing.items()
                      if name in post.accounts and d.state != "published"]
        return _Job(post_id, post.text,
                    tuple(MediaFile(Path(m["path"]), str(m["alt"])) for m in post.media),
                    (post.lang,) if post.lang else (), post.reply_url, deliveries)


async def _publish_all(engine: Engine, workspace: Workspace, env: Mapping[str, str],
                       candidates: Sequence[int], report: PublishReport,
                       clock: Callable[[], datetime],
                       transport: httpx.AsyncBaseTransport | None, resolve: Resolver) -> None:
    async with connections(env, transport=transport, resolve=resolve) as links:
        signed_in: set[str] = set()
        for post_id in candidates:
            # Each post is claimed just before it is published, so `claimed_at` says when its
            # publishing began: a long run (slow servers, a backlog) never makes the posts
            # still waiting in its queue look stuck to the next cron run.
            moment = clock()
            job = _claim(engine, workspace, post_id, moment)
            if job is None:
                continue
            outcomes = await _publish_one(engine, workspace, links, job, moment, signed_in)
            report.outcomes.extend(outcomes)
            if _finish(engine, job.post_id, moment) == "failed":
                report.failed_posts.append(job.post_id)


async def _publish_one(engine: Engine, workspace: Workspace, links: Connections, job: _Job,
                       now: datetime, signed_in: set[str]) -> list[Outcome]:
    # First every check, for every account: a text too long for Bluesky, or a revoked token,
    # must not leave the post on Mastodon alone. Credentials are checked once per run.
    clients: dict[str, Publisher] = {}
    problems: dict[str, PublishError] = {}
    for delivery in job.deliveries:
        try:
            client = clients[delivery.account] = _client(workspace, links, delivery.account)
            if delivery.account not in signed_in:
                await guarded(delivery.account, client.verify())
                signed_in.add(delivery.account)
            found = await guarded(delivery.account, client.problems(_outgoing(job, delivery, now)))
        except PublishError as exc:
            problems[delivery.account] = exc
            continue
        if found:
            problems[delivery.account] = NotValid(f"{delivery.account}: {'; '.join(found)}")
    if problems:
        # The others are held back by the worst problem: for good if it is permanent.
        blocking = next((e for e in problems.values() if not e.retryable),
                        next(iter(problems.values())))
        return [_record_failure(engine, delivery,
                                problems.get(delivery.account) or _because(delivery, blocking),
                                now) for delivery in job.deliveries]
    outcomes = []
    for delivery in job.deliveries:
        first_attempt = _mark_sending(engine, delivery, now)
        if first_attempt is None:
            continue                        # published meanwhile (by a run started later)
        outgoing = _outgoing(job, delivery, first_attempt)
        try:
            published = await guarded(delivery.account,
                                      clients[delivery.account].publish(outgoing))
        except PublishError as exc:
            outcomes.append(_record_failure(engine, delivery, exc, now, sent=True))
            continue
        outcomes.append(_record_success(engine, delivery, published, now,
                                        by=responder(workspace.settings)))
    return outcomes


def _because(delivery: _Delivery, error: PublishError) -> PublishError:
    kind = RetryLater if error.retryable else NotValid
    return kind(f"{delivery.account}: not sent, because {error.message}",
                retry_after=error.retry_after)


def _client(workspace: Workspace, links: Connections, name: str) -> Publisher:
    account = workspace.settings.engage.account(name)
    if account is None:
        raise PublishError(f"{name}: the account is no longer in smo.yaml (engage.accounts)")
    return links.publisher(account)


def _outgoing(job: _Job, delivery: _Delivery, created: datetime) -> Outgoing:
    # An earlier attempt that went as far as sending may have succeeded: the clients look.
    return Outgoing(text=job.text, key=delivery.key, created_at=delivery.started_at or created,
                    media=job.media, langs=job.langs, reply_to=job.reply_url,
                    earlier_attempt=delivery.started_at is not None)


def _mark_sending(engine: Engine, delivery: _Delivery, now: datetime) -> datetime | None:
    """Committed before the request: after a crash, the row says a request may have gone out.
    Returns the first attempt's time, which every attempt of this delivery reuses, or None when
    the delivery is already published (it is never sent again)."""
    with transaction(engine) as session:
        row = session.get(PostDelivery, delivery.id)
        assert row is not None
        if row.state == "published":
            return None
        row.state, row.attempts = "sending", row.attempts + 1
        row.started_at = row.started_at or now
        return row.started_at


def _record_success(engine: Engine, delivery: _Delivery, published: Published,
                    now: datetime, *, by: str) -> Outcome:
    """The delivery is published. A reply to an inbox item is recorded as that item's response
    (answered `by`) in the same transaction, so a published reply is never missing from the
    inbox, nor a response recorded for a reply that was not sent."""
    with transaction(engine) as session:
        row = session.get(PostDelivery, delivery.id)
        assert row is not None
        row.state, row.published_at, row.last_error = "published", now, None
        row.remote_id, row.remote_uri = published.remote_id[:300], published.uri[:500]
        row.remote_cid = published.cid[:200] if published.cid else None
        row.url = published.url[:500] if published.url else None
        detail = record_reply(session, row.post_id, delivery.account,
                              published.url or published.uri, by, now)
    return Outcome(delivery.post_id, delivery.account, delivery.platform, "published",
                   published.url or published.uri, detail)


def _record_failure(engine: Engine, delivery: _Delivery, error: PublishError, now: datetime,
                    *, sent: bool = False) -> Outcome:
    """A failed delivery: `retry` (and the post's retry_at pushed back) or, when permanent or
    tried MAX_ATTEMPTS times, `failed`. A refusal before sending counts as an attempt too."""
    with transaction(engine) as session:
        row = session.get(PostDelivery, delivery.id)
        assert row is not None
        if not sent:
            row.attempts += 1
        final = not error.retryable or row.attempts >= MAX_ATTEMPTS
        row.state, row.last_error = ("failed" if final else "retry"), error.message[:1000]
        post = session.get(Post, row.post_id)
        if post is not None and not final:
            backoff = 60.0 * 2 ** (row.attempts - 1)        # 1, 2, 4, 8 minutes
            wait = timedelta(seconds=min(max(error.retry_after or 0.0, backoff), 6 * 3600.0))
            post.retry_at = max(post.retry_at or now, now + wait)
    return Outcome(delivery.post_id, delivery.account, delivery.platform,
                   "failed" if final else "retry", None, error.message)


def _finish(engine: Engine, post_id: int, now: datetime) -> str:
    """The post's state from its deliveries': published, failed, or scheduled to retry."""
    with transaction(engine) as session:
        post = session.get(Post, post_id)
        assert post is not None
        rows = [d for d in session.exec(select(PostDelivery).where(
            col(PostDelivery.post_id) == post_id)) if d.account in post.accounts]
        errors = [d.last_error for d in rows if d.state in ("failed", "retry") and d.last_error]
        if all(d.state == "published" for d in rows):
            post.state, post.last_error, post.retry_at = "published", None, None
            post.published_at = min((d.published_at for d in rows if d.published_at),
                                     default=now)
        elif any(d.state == "failed" for d in rows):
            post.state, post.retry_at = "failed", None
            post.last_error = "; ".join(errors)[:1000]
        else:
            post.state, post.last_error = "scheduled", "; ".join(errors)[:1000]
        post.claimed_at, post.updated_at = None, now
        return post.state


def outcome_rows(report: PublishReport) -> list[dict[str, Any]]:
    return [{"post": o.post, "account": o.account, "platform": o.platform, "result": o.result,
             "url": o.url, "detail": o.detail} for o in report.outcomes]
