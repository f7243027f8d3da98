"""The engage commands that talk to the platforms, apart from publish-due: checking the accounts'
credentials, posting now, a dry run that shows the requests without sending them, and taking
engagement snapshots of published posts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import EngageAccount, Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import PostDelivery, PostStats
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData
from smo_cli.publish.base import Outgoing, Published, PublishError
from smo_cli.services.engage import Checked, Draft, check_draft, create_post, resolve_accounts
from smo_cli.services.engage_clients import connections, guarded, offline_publisher
from smo_cli.services.engage_publish import PublishReport, publish_due
from smo_cli.sources.http import Resolver, system_resolve

CHECK_COLUMNS = ["account", "platform", "ok", "signed_in_as", "detail"]
STATS_COLUMNS = ["post", "account", "platform", "likes", "reposts", "replies", "quotes", "url",
                 "detail"]


def check_accounts(workspace: Workspace, env: Mapping[str, str], names: Sequence[str] = (), *,
                   transport: httpx.AsyncBaseTransport | None = None,
                   resolve: Resolver = system_resolve) -> list[dict[str, Any]]:
    """Sign in with each account's secret and say as whom; a failure is a row, not an error."""
    settings = workspace.settings
    accounts = resolve_accounts(settings, names) if names else list(settings.engage.accounts)
    if not accounts:
        raise InvalidData("no posting accounts in smo.yaml",
                          hint="add them under engage.accounts (see the README)")

    async def check_all() -> list[dict[str, Any]]:
        rows = []
        async with connections(env, transport=transport, resolve=resolve) as links:
            for account in accounts:
                row: dict[str, Any] = {"account": account.name, "platform": account.platform,
                                       "ok": False, "signed_in_as": "", "detail": ""}
                try:
                    who = await guarded(account.name, links.publisher(account).verify())
                except PublishError as exc:
                    row["detail"] = exc.message
                else:
                    row.update(ok=True, signed_in_as=who.handle, detail=who.detail)
                rows.append(row)
        return rows

    return asyncio.run(check_all())


@dataclass
class PostResult:
    post_id: int | None
    warnings: list[str] = field(default_factory=list)
    report: PublishReport | None = None           # when published now
    previews: list[dict[str, Any]] = field(default_factory=list)   # in a dry run


def post(engine: Engine, workspace: Workspace, env: Mapping[str, str], draft: Draft, *,
         dry_run: bool = False, now: datetime | None = None,
         transport: httpx.AsyncBaseTransport | None = None,
         resolve: Resolver = system_resolve) -> PostResult:
    """`engage post`: check, then schedule (with --at) or publish at once. A dry run checks and
    returns the request bodies (with facets) and stores and sends nothing."""
    now = now or utcnow()
    if dry_run:
        with reading(engine) as session:
            checked = check_draft(session, workspace, draft, now=now)
        return PostResult(None, checked.warnings, previews=preview(checked, now))
    with transaction(engine) as session:
        checked = check_draft(session, workspace, draft, now=now)
        if checked.at is None:
            checked.at = now
        created = create_post(session, checked, state="scheduled")
        post_id = created.id or 0
    if checked.at > now:
        return PostResult(post_id, checked.warnings)
    report = publish_due(engine, workspace, env, only=post_id, now=now, transport=transport,
                         resolve=resolve)
    return PostResult(post_id, checked.warnings, report)


def preview(checked: Checked, now: datetime) -> list[dict[str, Any]]:
    outgoing = Outgoing(text=checked.text, key="(idempotency key: made when published)",
                        created_at=checked.at or now, media=tuple(checked.media),
                        langs=(checked.lang,), reply_to=checked.reply_url)
    shown = []
    for account in checked.accounts:
        found = offline_publisher(account).preview(outgoing)
        shown.append({"account": found.account, "platform": found.platform,
                      "requests": found.requests, "notes": found.notes})
    return shown


def take_stats(engine: Engine, workspace: Workspace, env: Mapping[str, str], *, days: int = 30,
               now: datetime | None = None, transport: httpx.AsyncBaseTransport | None = None,
               resolve: Resolver = system_resolve) -> list[dict[str, Any]]:
    """Likes, reposts, replies and quotes of the posts published in the last `days`, stored
    as dated snapshots (PostStats) for the KPIs and `me stats`."""
    now = now or utcnow()
    with reading(engine) as session:
        deliveries = list(session.exec(select(PostDelivery).where(
            col(PostDelivery.state) == "published",
            col(PostDelivery.published_at) >= now - timedelta(days=days))
            .order_by(col(PostDelivery.published_at))).all())
    accounts = {a.name: a for a in workspace.settings.engage.accounts}

    async def fetch_all() -> list[tuple[PostDelivery, Any]]:
        results: list[tuple[PostDelivery, Any]] = []
        async with connections(env, transport=transport, resolve=resolve) as links:
            for delivery in deliveries:
                account: EngageAccount | None = accounts.get(delivery.account)
                if account is None:
                    results.append((delivery, "the account is no longer in smo.yaml"))
                    continue
                done = Published(remote_id=delivery.remote_id or "",
                                 uri=delivery.remote_uri or "", url=delivery.url,
                                 cid=delivery.remote_cid)
                try:
                    counts = await guarded(account.name, links.publisher(account).counts(done))
                except PublishError as exc:
                    results.append((delivery, exc.message))
                else:
                    results.append((delivery, counts))
        return results

    rows = []
    fetched = asyncio.run(fetch_all())
    with transaction(engine) as session:
        for delivery, found in fetched:
            row: dict[str, Any] = {"post": delivery.post_id, "account": delivery.account,
                                   "platform": delivery.platform, "likes": None,
                                   "reposts": None, "replies": None, "quotes": None,
                                   "url": delivery.url, "detail": ""}
            if isinstance(found, str):
                row["detail"] = found
            else:
                session.add(PostStats(delivery_id=delivery.id or 0, taken_at=now,
                                      likes=found.likes, reposts=found.reposts,
                                      replies=found.replies, quotes=found.quotes))
                row.update(likes=found.likes, reposts=found.reposts, replies=found.replies,
                           quotes=found.quotes)
            rows.append(row)
    return rows

