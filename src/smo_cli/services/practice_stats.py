"""`me stats` (job 10): how active the officer has been on their own accounts, and with what.

What counts, stated once so the numbers can be checked by hand:

- A *post* is a publication on one account: a `post_delivery` row in state `published` with a
  `published_at`. A post sent to two accounts counts twice, once per platform.
- *Own* posts are those of the engage accounts in smo.yaml with `owner: officer`; `all_accounts`
  adds the company's, `account` picks one account.
- Weeks are ISO weeks (Monday to Sunday) and months calendar months, both on the wall clock of
  `business_hours.timezone`: a post at 23:30 UTC on a Sunday in winter is Monday's in Amsterdam.
- The *streak* is STREAK_RULE; the *engagement* of a month is ENGAGEMENT_RULE.
- Practice log entries count in the month of their `logged_on`, goals in the month of `done_on`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from smo_cli.config import Settings
from smo_cli.db.models import LearningGoal, PostDelivery, PostStats, PracticeEntry
from smo_cli.errors import NotFound, UsageError

STREAK_RULE = ("ISO weeks in a row with at least one post, counted back from this week; a week "
               "still under way without a post does not break the streak, which then runs to "
               "last week")
ENGAGEMENT_RULE = ("the mean, over the month's posts that have an engagement snapshot, of likes "
                   "+ reposts + replies + quotes in each post's latest snapshot (a post counts in "
                   "the month it was published)")
MAX_WEEKS = 520
MAX_MONTHS = 120
_WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class WeekCount:
    week: str                       # ISO week, 2026-W48
    starts: date                    # its Monday
    posts: dict[str, int]           # per platform, every platform of the selection present
    total: int


@dataclass(frozen=True)
class MonthFigures:
    month: str                      # 2026-11
    posts: int
    measured: int                   # posts with at least one engagement snapshot
    engagement_mean: float | None   # ENGAGEMENT_RULE, one decimal; None when nothing measured
    log_entries: int
    goals_met: int


@dataclass(frozen=True)
class Streak:
    weeks: int
    through: str | None             # the streak's latest week: this week or last; None if 0
    rule: str = STREAK_RULE


@dataclass(frozen=True)
class PracticeStats:
    today: date
    timezone: str
    scope: str                      # officer | account | all
    accounts: list[str]             # the accounts counted
    platforms: list[str]
    weeks: list[WeekCount]
    streak: Streak
    months: list[MonthFigures]
    goals_open: int
    goals_overdue: int
    engagement_rule: str = field(default=ENGAGEMENT_RULE)

    def week_rows(self) -> list[dict[str, Any]]:
        """One flat row per week (a column per platform), for a table or CSV."""
        return [{"week": w.week, "starts": w.starts, **w.posts, "total": w.total}
                for w in self.weeks]

    def month_rows(self) -> list[dict[str, Any]]:
        return [asdict(m) for m in self.months]

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of `me stats -f json` (its keys are pinned by a test)."""
        return {
            "today": self.today, "timezone": self.timezone, "scope": self.scope,
            "accounts": self.accounts, "platforms": self.platforms,
            "weeks": [{"week": w.week, "starts": w.starts, "posts": w.posts, "total": w.total}
                      for w in self.weeks],
            "streak": {"weeks": self.streak.weeks, "through": self.streak.through,
                       "rule": self.streak.rule},
            "months": self.month_rows(),
            "goals": {"open": self.goals_open, "overdue": self.goals_overdue},
            "engagement_rule": self.engagement_rule,
        }


@dataclass(frozen=True)
class _Published:
    delivery_id: int
    platform: str
    day: date                       # local day of publication


def practice_stats(session: Session, settings: Settings, *, today: date, weeks: int = 12,
                   months: int = 6, account: str | None = None,
                   all_accounts: bool = False) -> PracticeStats:
    """Posts per week and platform, the weekly streak, and per month the engagement, log
    entries and goals met; `today` is the local day the weeks and months end with."""
    if not 1 <= weeks <= MAX_WEEKS or not 1 <= months <= MAX_MONTHS:
        raise UsageError(f"--weeks is 1 to {MAX_WEEKS} and --months 1 to {MAX_MONTHS}")
    zone = ZoneInfo(settings.business_hours.timezone)
    scope, accounts = _selection(session, settings, account, all_accounts)
    published = [p for p in _published(session, zone, None if scope == "all" else accounts)
                 if p.day <= today]      # a clock ahead of ours must not count tomorrow
    this_monday = _monday(today)
    mondays = [this_monday - _WEEK * back for back in reversed(range(weeks))]
    month_keys = _months_back(today, months)
    first_month = date(*month_keys[0], 1)
    # A column for every platform of the accounts counted, even in a quiet period.
    shown_from = min(mondays[0], first_month)
    platforms = sorted({a.platform for a in settings.engage.accounts if a.name in accounts}
                       | {p.platform for p in published if p.day >= shown_from})
    in_months = {p.delivery_id: p for p in published if p.day >= first_month}
    engagement = _latest_engagement(session, zone, first_month, in_months)
    entries, met = _log_and_goals(session, first_month, today)
    open_targets = list(session.exec(select(col(LearningGoal.target_date)).where(
        col(LearningGoal.done_on).is_(None))))
    return PracticeStats(
        today=today, timezone=settings.business_hours.timezone, scope=scope,
        accounts=accounts, platforms=platforms,
        weeks=_weeks(published, mondays, platforms),
        streak=streak({_monday(p.day) for p in published}, this_monday),
        months=[_month(key, in_months.values(), engagement, entries, met)
                for key in month_keys],
        goals_open=len(open_targets),
        goals_overdue=sum(1 for target in open_targets if target is not None and target < today))


def streak(weeks_with_posts: set[date], this_monday: date) -> Streak:
    """STREAK_RULE over the Mondays of the weeks that have a post."""
    cursor = this_monday if this_monday in weeks_with_posts else this_monday - _WEEK
    latest = cursor
    count = 0
    while cursor in weeks_with_posts:
        count += 1
        cursor -= _WEEK
    return Streak(count, iso_week(latest) if count else None)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _selection(session: Session, settings: Settings, account: str | None,
               all_accounts: bool) -> tuple[str, list[str]]:
    configured = [a.name for a in settings.engage.accounts]
    if account is not None:
        if all_accounts:
            raise UsageError("--account and --all-accounts exclude each other")
        # An account removed from smo.yaml keeps its history, so its name is still good here.
        posted = set(session.exec(select(col(PostDelivery.account)).distinct()))
        if account not in set(configured) | posted:
            raise NotFound(f"no engage account {account!r}",
                           hint=f"accounts: {', '.join(sorted(configured)) or 'none in smo.yaml'}")
        return "account", [account]
    if all_accounts:
        posted = set(session.exec(select(col(PostDelivery.account)).distinct()))
        return "all", sorted(set(configured) | posted)
    return "officer", sorted(a.name for a in settings.engage.accounts if a.owner == "officer")


def _only_published(accounts: list[str] | None) -> list[ColumnElement[bool]]:
    """The deliveries that count as posts: published, of the selected accounts (None: all)."""
    conditions = [col(PostDelivery.state) == "published",
                  col(PostDelivery.published_at).is_not(None)]
    if accounts is not None:
        conditions.append(col(PostDelivery.account).in_(accounts))
    return conditions


def _published(session: Session, zone: ZoneInfo,
               accounts: list[str] | None) -> list[_Published]:
    # Every publication of the selection, however old: the streak may reach back years.
    statement = select(col(PostDelivery.id), col(PostDelivery.platform),
                       col(PostDelivery.published_at)).where(*_only_published(accounts))
    return [_Published(delivery_id, platform, published_at.astimezone(zone).date())
            for delivery_id, platform, published_at in session.execute(statement)]


def _latest_engagement(session: Session, zone: ZoneInfo, first_month: date,
                       deliveries: dict[int, _Published]) -> dict[int, int]:
    """likes + reposts + replies + quotes of each delivery's latest snapshot (by taken_at, then
    id for two snapshots taken at the same moment)."""
    if not deliveries:
        return {}
    since = datetime.combine(first_month, time.min, zone).astimezone(UTC)
    statement = select(col(PostStats.delivery_id), col(PostStats.taken_at), col(PostStats.id),
                       col(PostStats.likes) + col(PostStats.reposts) + col(PostStats.replies)
                       + col(PostStats.quotes)).join(
        PostDelivery, col(PostDelivery.id) == col(PostStats.delivery_id)).where(
        col(PostDelivery.published_at) >= since)
    latest: dict[int, tuple[datetime, int, int]] = {}
    for delivery_id, taken_at, snapshot_id, total in session.execute(statement):
        if delivery_id not in deliveries:
            continue                # another account's post, or not published
        if delivery_id not in latest or (taken_at, snapshot_id) > latest[delivery_id][:2]:
            latest[delivery_id] = (taken_at, snapshot_id, int(total))
    return {delivery_id: total for delivery_id, (_, _, total) in latest.items()}


def _weeks(published: Sequence[_Published], mondays: list[date],
           platforms: list[str]) -> list[WeekCount]:
    counts = Counter((_monday(p.day), p.platform) for p in published)
    rows = []
    for monday in mondays:
        per_platform = {platform: counts[(monday, platform)] for platform in platforms}
        rows.append(WeekCount(iso_week(monday), monday, per_platform,
                              sum(per_platform.values())))
    return rows


def _month(key: tuple[int, int], published: Iterable[_Published], engagement: dict[int, int],
           entries: Counter[tuple[int, int]], met: Counter[tuple[int, int]]) -> MonthFigures:
    ids = [p.delivery_id for p in published if (p.day.year, p.day.month) == key]
    scores = [engagement[i] for i in ids if i in engagement]
    return MonthFigures(
        month=f"{key[0]}-{key[1]:02d}", posts=len(ids), measured=len(scores),
        engagement_mean=round(sum(scores) / len(scores), 1) if scores else None,
        log_entries=entries[key], goals_met=met[key])


def _log_and_goals(session: Session, first_month: date, today: date
                   ) -> tuple[Counter[tuple[int, int]], Counter[tuple[int, int]]]:
    """Log entries (by logged_on) and goals met (by done_on) per (year, month)."""
    logged = session.exec(select(col(PracticeEntry.logged_on)).where(
        col(PracticeEntry.logged_on) >= first_month, col(PracticeEntry.logged_on) <= today))
    done = session.exec(select(col(LearningGoal.done_on)).where(
        col(LearningGoal.done_on) >= first_month, col(LearningGoal.done_on) <= today))
    return (Counter((day.year, day.month) for day in logged),
            Counter((day.year, day.month) for day in done if day is not None))


def _months_back(today: date, months: int) -> list[tuple[int, int]]:
    """(year, month) of the last `months` calendar months, oldest first, this month last."""
    index = today.year * 12 + today.month - 1
    return [((index - back) // 12, (index - back) % 12 + 1) for back in reversed(range(months))]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
