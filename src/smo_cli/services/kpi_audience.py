"""Audience figures of a period: followers and their growth (from the inventory's checks of the
official accounts), and our own posts' cadence and engagement rate (from `smo engage`).

Followers at an instant are those of each official account's latest successful check before
it that gave a follower count; an account never checked by then is left out, not counted as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session, col

from smo_cli.config import Settings
from smo_cli.db.models import (
    Account,
    AccountKind,
    AccountSnapshot,
    Platform,
    PostDelivery,
    PostStats,
)
from smo_cli.errors import InvalidData
from smo_cli.services.handles import identify
from smo_cli.services.inventory import find_account


def _answered_before(account_id: Any, moment: Any) -> ScalarSelect[int]:
    """The id of an account's latest check before `moment` that gave a follower count."""
    check = aliased(AccountSnapshot)       # the outer query may read the snapshots too
    return (select(col(check.id))
            .where(col(check.account_id) == account_id, col(check.status) == "ok",
                   col(check.followers).is_not(None), col(check.checked_at) < moment)
            .order_by(col(check.checked_at).desc(), col(check.id).desc())
            .limit(1).scalar_subquery())


def followers_at(session: Session, moment: datetime, *, owner: str | None = None,
                 since: datetime | None = None) -> dict[int, int]:
    """Official account id → followers at `moment`; with `since`, only accounts checked on or
    after it (a count from long before the period says nothing about the period)."""
    where = [col(Account.kind) == AccountKind.official.value,
             col(AccountSnapshot.id) == _answered_before(col(Account.id), moment)]
    if owner is not None:
        where.append(col(Account.owner) == owner)
    if since is not None:
        where.append(col(AccountSnapshot.checked_at) >= since)
    rows = session.execute(select(col(Account.id), col(AccountSnapshot.followers))
                           .join(AccountSnapshot, col(AccountSnapshot.account_id) ==
                                 col(Account.id)).where(*where)).all()
    return {int(account): int(followers) for account, followers in rows}


@dataclass(frozen=True)
class Growth:
    accounts: int                   # checked both before and during the period
    start: int                      # their followers before the period
    end: int                        # ... and at its latest check in it
    growth: float | None            # (end - start) / start x 100


def audience_growth(session: Session, since: datetime, until: datetime, *,
                    owner: str | None = None) -> Growth:
    before = followers_at(session, since, owner=owner)
    after = followers_at(session, until, owner=owner, since=since)
    both = sorted(set(before) & set(after))
    start, end = sum(before[a] for a in both), sum(after[a] for a in both)
    return Growth(len(both), start, end, (end - start) / start * 100 if start else None)


@dataclass(frozen=True)
class Posting:
    posts: int                      # publications on the company's accounts in the period
    measured: int                   # ... with statistics and a follower count at publication
    engagement_rate: float | None   # mean of interactions / followers x 100 of `measured`
    unmatched: list[str]            # accounts not found among the official inventory accounts


def company_accounts(settings: Settings) -> list[str]:
    return sorted(a.name for a in settings.engage.accounts if a.owner == "company")


def _inventory_ids(session: Session, settings: Settings,
                   names: list[str]) -> tuple[dict[str, int], list[str]]:
    """Engage account name → its official inventory account: by the handle in smo.yaml
    (Bluesky), or by the profile in a published post's link (Mastodon names only a server)."""
    found: dict[str, int] = {}
    for name in names:
        account = settings.engage.account(name)
        if account is None:
            continue
        url = None if account.handle else session.execute(
            select(col(PostDelivery.url)).where(col(PostDelivery.account) == name,
                                                col(PostDelivery.url).is_not(None))
            .limit(1)).scalar()
        try:
            identity = identify(Platform(account.platform), account.handle, url)
        except InvalidData:
            continue
        row = find_account(session, account.platform, identity.handle)
        if row is not None and row.id is not None and row.kind == AccountKind.official.value:
            found[name] = row.id
    return found, [n for n in names if n not in found]


def posting(session: Session, settings: Settings, since: datetime, until: datetime) -> Posting:
    """The company's publications in [since, until) and their mean engagement rate: for each,
    likes + reposts + replies + quotes in its latest statistics ÷ the followers of its account
    at the latest check before publication."""
    names = company_accounts(settings)
    ids, unmatched = _inventory_ids(session, settings, names)
    delivery = col(PostDelivery.id)
    interactions = (select(col(PostStats.likes) + col(PostStats.reposts) + col(PostStats.replies)
                           + col(PostStats.quotes))
                    .where(col(PostStats.delivery_id) == delivery)
                    .order_by(col(PostStats.taken_at).desc(), col(PostStats.id).desc())
                    .limit(1).scalar_subquery())
    account_id = (case(ids, value=col(PostDelivery.account), else_=literal(None))
                  if ids else literal(None))
    followers = (select(col(AccountSnapshot.followers))
                 .where(col(AccountSnapshot.id) == _answered_before(
                     account_id, col(PostDelivery.published_at)))
                 .scalar_subquery())
    rate = 100.0 * interactions / func.nullif(followers, 0)
    per_post = (select(rate.label("rate"))
                .where(col(PostDelivery.state) == "published",
                       col(PostDelivery.account).in_(names),
                       col(PostDelivery.published_at) >= since,
                       col(PostDelivery.published_at) < until).subquery())
    posts, measured, mean = session.execute(select(
        func.count(), func.count(per_post.c.rate), func.avg(per_post.c.rate))).one()
    return Posting(int(posts), int(measured), None if mean is None else float(mean), unmatched)
