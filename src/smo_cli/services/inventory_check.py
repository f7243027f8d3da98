"""`smo inventory check`: fetch public facts for inventory accounts and record dated snapshots.

All accounts are fetched concurrently over one HTTP client, bounded by `check_concurrency`; a remote
failure of one account becomes its outcome and never stops the others. Snapshots are written in the
caller's session, which owns the transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlmodel import Session, col, select

from smo_cli import __version__
from smo_cli.config import InventorySettings
from smo_cli.db.models.inventory import Account, AccountSnapshot
from smo_cli.errors import NotFound
from smo_cli.services.inventory import is_dormant
from smo_cli.sources.profiles import ProfileFacts, fetch_profile

USER_AGENT = f"smo/{__version__} (+inventory check)"
MAX_URL_CHARS = 2000  # the width of account_snapshot.final_url


@dataclass(frozen=True)
class CheckOutcome:
    account_id: int
    platform: str
    handle: str
    status: str  # ok | unreachable | error | unsupported
    followers: int | None
    posts: int | None
    last_post_at: datetime | None
    final_url: str | None
    dormant: bool
    detail: str | None


@dataclass(frozen=True)
class CheckTarget:
    """The plain facts of an account row, so the network part never touches the ORM."""

    account_id: int
    platform: str
    handle: str
    url: str | None


@dataclass(frozen=True)
class CheckResult:
    target: CheckTarget
    facts: ProfileFacts


def check_accounts(
    session: Session,
    settings: InventorySettings,
    *,
    account_id: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
    on_done: Callable[[CheckOutcome], None] | None = None,
) -> list[CheckOutcome]:
    """Check every account (or the one with `account_id`) and add one snapshot each.

    `on_done` is called as each account finishes (for a progress display). Outcomes come back in
    account id order. Nothing is committed: the caller's transaction stores the snapshots.
    On SQLite a writer session holds the write lock during the whole network phase; a command
    that runs next to cron jobs can instead read targets with `accounts_to_check` in a reading
    session, call `fetch_checks` outside any session, then `record_checks` in a short transaction.
    """
    checked_at = _aware(now)
    targets = accounts_to_check(session, account_id=account_id)
    results = fetch_checks(targets, settings, now=checked_at, transport=transport,
                           on_done=on_done)
    return record_checks(session, results, settings, now=checked_at)


def accounts_to_check(session: Session, *, account_id: int | None = None) -> list[CheckTarget]:
    """All accounts in id order, or the one with `account_id` (NotFound if there is none)."""
    if account_id is not None:
        account = session.get(Account, account_id)
        if account is None:
            raise NotFound(f"no account with id {account_id} in the inventory",
                           hint="`smo inventory list` shows the ids")
        accounts: Sequence[Account] = [account]
    else:
        accounts = session.exec(select(Account).order_by(col(Account.id))).all()
    return [CheckTarget(_id(account), account.platform, account.handle, account.url)
            for account in accounts]


def fetch_checks(
    targets: Sequence[CheckTarget],
    settings: InventorySettings,
    *,
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_done: Callable[[CheckOutcome], None] | None = None,
) -> list[CheckResult]:
    """Fetch the public facts of every target concurrently; no database involved."""
    if not targets:
        return []
    return asyncio.run(_fetch_all(targets, settings, transport, _aware(now), on_done))


def record_checks(session: Session, results: Sequence[CheckResult], settings: InventorySettings,
                  *, now: datetime | None = None) -> list[CheckOutcome]:
    """Add one snapshot per result, dated `now`, and flush; the caller commits."""
    checked_at = _aware(now)
    for result in results:
        session.add(_snapshot(result, checked_at))
    session.flush()
    return [_outcome(result, checked_at, settings) for result in results]


def _id(account: Account) -> int:
    assert account.id is not None  # loaded from the database
    return account.id


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC)")
    return now


async def _fetch_all(
    targets: Sequence[CheckTarget],
    settings: InventorySettings,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime,
    on_done: Callable[[CheckOutcome], None] | None,
) -> list[CheckResult]:
    limit = asyncio.Semaphore(settings.check_concurrency)
    async with httpx.AsyncClient(
        transport=transport,
        timeout=settings.timeout_seconds,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    ) as client:

        async def check_one(target: CheckTarget) -> CheckResult:
            async with limit:
                facts = await fetch_profile(client, target.platform, target.handle,
                                            target.url, settings)
            result = CheckResult(target, facts)
            if on_done is not None:
                on_done(_outcome(result, now, settings))
            return result

        # fetch_profile turns every remote failure into facts, so what escapes here is a bug:
        # let it surface rather than record it as the account's fault.
        return list(await asyncio.gather(*(check_one(target) for target in targets)))


def _outcome(result: CheckResult, now: datetime, settings: InventorySettings) -> CheckOutcome:
    target, facts = result.target, result.facts
    return CheckOutcome(
        account_id=target.account_id,
        platform=target.platform,
        handle=target.handle,
        status=facts.status,
        followers=facts.followers,
        posts=facts.posts,
        last_post_at=facts.last_post_at,
        final_url=facts.final_url,
        dormant=is_dormant(facts.last_post_at, now, settings),
        detail=facts.detail,
    )


def _snapshot(result: CheckResult, checked_at: datetime) -> AccountSnapshot:
    facts = result.facts
    final_url = facts.final_url
    if final_url is not None and len(final_url) > MAX_URL_CHARS:
        final_url = None  # a cut-off URL would point somewhere else; better none
    return AccountSnapshot(
        account_id=result.target.account_id,
        checked_at=checked_at,
        status=facts.status,
        followers=facts.followers,
        following=facts.following,
        posts=facts.posts,
        last_post_at=facts.last_post_at,
        final_url=final_url,
        detail=facts.detail[:1000] if facts.detail else None,
    )
