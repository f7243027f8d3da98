"""`smo me` (job 10): the practice log, learning goals and the officer's own stats.

The stats fixture is worked out by hand. Today is Thursday 2026-11-26 (ISO week 48) in
Europe/Amsterdam (UTC+1 since 25 October). The officer has `me-masto` (Mastodon) and `me-bsky`
(Bluesky); `acme` is the company's Mastodon account.

    delivery  account   published (UTC)     local day (week)     latest snapshot  engagement
    d1        me-masto  2026-11-24 09:00    Tue 24 Nov (W48)     5+2+1+0          8  (older: 3)
    d2        me-bsky   2026-11-22 23:30    Mon 23 Nov (W48)     4+0+2+1          7
    d3        me-masto  2026-11-18 12:00    Wed 18 Nov (W47)     none             -
    d4        me-masto  2026-11-10 08:00    Tue 10 Nov (W46)     10+3+2+1         16 (older: 1)
    d5        me-bsky   2026-11-11 08:00    Wed 11 Nov (W46)     none             -
    d6        me-masto  2026-11-12 08:00    Thu 12 Nov (W46)     0+0+0+0          0
    d7        me-masto  2026-10-31 23:30    Sun  1 Nov (W44)     2+0+0+0          2
    d8        me-masto  2026-10-15 10:00    Thu 15 Oct (W42)     3+1+1+0          5
    d9        acme      2026-11-25 10:00    Wed 25 Nov (W48)     100+0+0+0        100
    --        me-masto  failed, and me-bsky pending: never counted

Weeks 45-48, own accounts: W45 0; W46 mastodon 2 + bluesky 1 = 3; W47 mastodon 1;
W48 mastodon 1 + bluesky 1 = 2. Streak: W48, W47, W46 have posts, W45 none -> 3, through W48.
d2 is Monday's in Amsterdam, though Sunday (W47) in UTC; d7 is November's, though October's in UTC.

Engagement, own accounts: November has d1-d7 = 7 posts, 5 measured (d1, d2, d4, d6, d7):
(8 + 7 + 16 + 0 + 2) / 5 = 33 / 5 = 6.6. October: d8 alone, 5.0.
With --all-accounts November adds d9: 8 posts, 6 measured, 133 / 6 = 22.17 -> 22.2.

Log entries: 10 Sep, 3 Oct, 2 Nov, 20 Nov -> October 1, November 2 (September is outside two
months). Goals met: 1 Sep, 20 Oct, 5 Nov -> October 1, November 1. Open: three, one overdue
(target 20 Nov).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from smo_cli.config import Settings, load_settings
from smo_cli.db.engine import transaction
from smo_cli.db.models import LearningGoal, Post, PostDelivery, PostStats, PracticeEntry
from smo_cli.errors import Conflict, InvalidData, NotFound, UsageError
from smo_cli.render.output import sparkline
from smo_cli.services import business_hours, practice
from smo_cli.services.practice_stats import PracticeStats, practice_stats, streak
from tests.conftest import Run, workspace_engine

TODAY = date(2026, 11, 26)
ENGAGE = """
engage:
  accounts:
    - {name: me-masto, platform: mastodon, owner: officer, instance: https://mastodon.social}
    - {name: me-bsky, platform: bluesky, owner: officer, handle: me.bsky.social}
    - {name: acme, platform: mastodon, instance: https://mastodon.social}
"""


@contextmanager
def _session(workspace: Path) -> Iterator[Session]:
    engine = workspace_engine(workspace)
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _deliver(session: Session, key: str, account: str, platform: str, published: str | None,
             *snapshots: tuple[str, int, int, int, int], state: str = "published") -> None:
    post = Post(text=f"post {key}", accounts=[account], state=state)
    session.add(post)
    session.flush()
    delivery = PostDelivery(post_id=post.id or 0, account=account, platform=platform,
                            state=state, idempotency_key=f"smo-{key}",
                            published_at=_utc(published) if published else None)
    session.add(delivery)
    session.flush()
    for taken, likes, reposts, replies, quotes in snapshots:
        session.add(PostStats(delivery_id=delivery.id or 0, taken_at=_utc(taken), likes=likes,
                              reposts=reposts, replies=replies, quotes=quotes))
    session.flush()


@pytest.fixture
def settings(workspace: Path) -> Settings:
    config = workspace / "smo.yaml"
    config.write_text(config.read_text() + ENGAGE)
    return load_settings(config)


@pytest.fixture
def seeded(workspace: Path, settings: Settings) -> Path:
    """The hand-worked history of the module docstring."""
    with _session(workspace) as session:
        _deliver(session, "d1", "me-masto", "mastodon", "2026-11-24T09:00",
                 ("2026-11-24T12:00", 2, 1, 0, 0), ("2026-11-25T12:00", 5, 2, 1, 0))
        _deliver(session, "d2", "me-bsky", "bluesky", "2026-11-22T23:30",
                 ("2026-11-23T10:00", 4, 0, 2, 1))
        _deliver(session, "d3", "me-masto", "mastodon", "2026-11-18T12:00")
        _deliver(session, "d4", "me-masto", "mastodon", "2026-11-10T08:00",
                 ("2026-11-20T08:00", 10, 3, 2, 1), ("2026-11-10T09:00", 1, 0, 0, 0))
        _deliver(session, "d5", "me-bsky", "bluesky", "2026-11-11T08:00")
        _deliver(session, "d6", "me-masto", "mastodon", "2026-11-12T08:00",
                 ("2026-11-13T08:00", 0, 0, 0, 0))
        _deliver(session, "d7", "me-masto", "mastodon", "2026-10-31T23:30",
                 ("2026-11-02T08:00", 2, 0, 0, 0))
        _deliver(session, "d8", "me-masto", "mastodon", "2026-10-15T10:00",
                 ("2026-10-16T10:00", 3, 1, 1, 0))
        _deliver(session, "d9", "acme", "mastodon", "2026-11-25T10:00",
                 ("2026-11-26T08:00", 100, 0, 0, 0))
        _deliver(session, "failed", "me-masto", "mastodon", None, state="failed")
        _deliver(session, "pending", "me-bsky", "bluesky", None, state="pending")
        for day, text in ((date(2026, 9, 10), "old"), (date(2026, 10, 3), "a thread"),
                          (date(2026, 11, 2), "a poll"), (date(2026, 11, 20), "a video")):
            practice.add_entry(session, text=text, today=TODAY, on=day)
        met = {"met in September": date(2026, 9, 1), "met in October": date(2026, 10, 20),
               "met in November": date(2026, 11, 5)}
        for text, day in met.items():
            goal = practice.add_goal(session, text=text, today=date(2026, 8, 1))
            practice.complete_goal(session, goal.id or 0, today=TODAY, on=day)
        practice.add_goal(session, text="overdue", today=date(2026, 11, 1),
                          by=date(2026, 11, 20))
        practice.add_goal(session, text="due at year end", today=TODAY, by=date(2026, 12, 31))
        practice.add_goal(session, text="no target", today=TODAY)
    return workspace


def _stats(workspace: Path, settings: Settings, **options: object) -> PracticeStats:
    with _session(workspace) as session:
        return practice_stats(session, settings, **{"today": TODAY, "weeks": 4, "months": 2,
                                                    **options})  # type: ignore[arg-type]


# --- stats --------------------------------------------------------------------------------------

def test_stats_counts_own_posts_per_iso_week_and_platform(seeded: Path,
                                                          settings: Settings) -> None:
    stats = _stats(seeded, settings)
    assert stats.scope == "officer"
    assert stats.accounts == ["me-bsky", "me-masto"]
    assert [(w.week, w.starts, w.posts, w.total) for w in stats.weeks] == [
        ("2026-W45", date(2026, 11, 2), {"bluesky": 0, "mastodon": 0}, 0),
        ("2026-W46", date(2026, 11, 9), {"bluesky": 1, "mastodon": 2}, 3),
        ("2026-W47", date(2026, 11, 16), {"bluesky": 0, "mastodon": 1}, 1),
        ("2026-W48", date(2026, 11, 23), {"bluesky": 1, "mastodon": 1}, 2),
    ]


def test_stats_streak_runs_back_from_this_week(seeded: Path, settings: Settings) -> None:
    stats = _stats(seeded, settings)
    assert (stats.streak.weeks, stats.streak.through) == (3, "2026-W48")


def test_a_week_under_way_without_a_post_does_not_break_the_streak(
        seeded: Path, settings: Settings) -> None:
    # Monday 23 Nov: me-masto has not posted yet this week (d1 is tomorrow's), W47 and W46 have.
    stats = _stats(seeded, settings, account="me-masto", today=date(2026, 11, 23))
    assert (stats.streak.weeks, stats.streak.through) == (2, "2026-W47")
    assert stats.weeks[-1].total == 0


def test_one_account_and_its_own_streak(seeded: Path, settings: Settings) -> None:
    stats = _stats(seeded, settings, account="me-bsky")
    assert [w.total for w in stats.weeks] == [0, 1, 0, 1]
    assert stats.platforms == ["bluesky"]
    assert (stats.streak.weeks, stats.streak.through) == (1, "2026-W48")


def test_stats_engagement_is_the_monthly_mean_of_latest_snapshots(
        seeded: Path, settings: Settings) -> None:
    months = {m.month: m for m in _stats(seeded, settings).months}
    assert list(months) == ["2026-10", "2026-11"]
    assert (months["2026-11"].posts, months["2026-11"].measured,
            months["2026-11"].engagement_mean) == (7, 5, 6.6)
    assert (months["2026-10"].posts, months["2026-10"].measured,
            months["2026-10"].engagement_mean) == (1, 1, 5.0)


def test_all_accounts_adds_the_company_posts(seeded: Path, settings: Settings) -> None:
    stats = _stats(seeded, settings, all_accounts=True)
    assert stats.scope == "all"
    assert stats.accounts == ["acme", "me-bsky", "me-masto"]
    assert stats.weeks[-1].posts == {"bluesky": 1, "mastodon": 2}
    november = stats.months[-1]
    assert (november.posts, november.measured, november.engagement_mean) == (8, 6, 22.2)


def test_stats_counts_log_entries_and_goals_per_month(seeded: Path, settings: Settings) -> None:
    stats = _stats(seeded, settings)
    assert [(m.month, m.log_entries, m.goals_met) for m in stats.months] == [
        ("2026-10", 1, 1), ("2026-11", 2, 1)]
    assert (stats.goals_open, stats.goals_overdue) == (3, 1)


def test_a_month_without_snapshots_has_no_mean(seeded: Path, settings: Settings) -> None:
    stats = _stats(seeded, settings, months=3)
    assert stats.months[0].month == "2026-09"
    assert (stats.months[0].posts, stats.months[0].engagement_mean) == (0, None)
    assert stats.months[0].log_entries == 1


def test_stats_without_officer_accounts_counts_no_posts(workspace: Path) -> None:
    settings = load_settings(workspace / "smo.yaml")         # the example has no engage part
    with _session(workspace) as session:
        _deliver(session, "x", "acme", "mastodon", "2026-11-24T09:00")
    stats = _stats(workspace, settings)
    assert stats.accounts == [] and stats.platforms == []
    assert [w.total for w in stats.weeks] == [0, 0, 0, 0]
    assert stats.streak.weeks == 0 and stats.streak.through is None


def test_stats_unknown_account_is_not_found(seeded: Path, settings: Settings) -> None:
    with pytest.raises(NotFound, match="no engage account 'nobody'"):
        _stats(seeded, settings, account="nobody")
    with pytest.raises(UsageError):
        _stats(seeded, settings, account="acme", all_accounts=True)


def test_streak_rule_on_mondays() -> None:
    monday = date(2026, 11, 23)
    weeks = {date(2026, 11, 16), date(2026, 11, 9), date(2026, 10, 26)}
    assert (streak(weeks, monday).weeks, streak(weeks, monday).through) == (2, "2026-W47")
    assert streak(weeks | {monday}, monday).weeks == 3
    assert streak({date(2026, 11, 9)}, monday).weeks == 0      # last week empty: broken


def test_sparkline_scales_to_the_busiest_week() -> None:
    assert sparkline([0, 3, 1, 2]) == "▁█▄▆"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([1, 100]) == "▂█"      # one post never looks like none


# --- stats through the CLI ----------------------------------------------------------------------

@pytest.fixture
def on_the_26th(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(business_hours, "local_today", lambda _workspace: TODAY)


def test_stats_json_document(seeded: Path, run: Run, on_the_26th: None) -> None:
    result = run("me", "stats", "--weeks", "4", "--months", "2", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["today", "timezone", "scope", "accounts", "platforms", "weeks",
                              "streak", "months", "goals", "engagement_rule"]
    assert document["today"] == "2026-11-26"
    assert document["timezone"] == "Europe/Amsterdam"
    assert document["weeks"][1] == {"week": "2026-W46", "starts": "2026-11-09",
                                    "posts": {"bluesky": 1, "mastodon": 2}, "total": 3}
    assert document["streak"]["weeks"] == 3
    assert document["months"][1] == {"month": "2026-11", "posts": 7, "measured": 5,
                                     "engagement_mean": 6.6, "log_entries": 2, "goals_met": 1}
    assert document["goals"] == {"open": 3, "overdue": 1}


def test_stats_table_states_the_rules(seeded: Path, run: Run, on_the_26th: None,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli.me._on_terminal", lambda: True)
    result = run("me", "stats", "--weeks", "4", "--months", "2")
    assert result.exit_code == 0, result.stderr
    assert "posts per week  ▁█▄▆  2026-W45 to 2026-W48" in result.stdout
    assert "Streak: 3 weeks, through 2026-W48" in result.stdout
    assert "likes + reposts + replies + quotes" in result.stdout
    assert "Goals: 3 open, 1 overdue." in result.stdout


def test_stats_refuses_csv_and_unknown_accounts(seeded: Path, run: Run) -> None:
    assert run("me", "stats", "-f", "csv").exit_code == 2
    result = run("me", "stats", "--account", "nobody")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: no engage account 'nobody'")


def test_stats_without_officer_account_says_how_to_fix(run: Run) -> None:
    result = run("me", "stats", "-f", "json")
    assert result.exit_code == 0
    assert "owner: officer" in result.stderr
    assert json.loads(result.stdout)["accounts"] == []


# --- the practice log ---------------------------------------------------------------------------

def test_log_round_trip(run: Run, on_the_26th: None) -> None:
    result = run("me", "log", "Tried a carousel on LinkedIn", "--tag", "LinkedIn,#carousel",
                 "--tag", "linkedin", "--link", "https://www.linkedin.com/posts/1",
                 "--date", "24-11-2026")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Logged entry 1 on 2026-11-24.\n"
    assert run("me", "log", "add", "list").exit_code == 0          # the explicit form
    assert run("me", "log", "edit", "1", "--outcome", "Twice the usual replies").exit_code == 0
    rows = run("me", "log", "list", "-f", "json").json()
    assert rows == [
        {"id": 1, "logged_on": "2026-11-24", "text": "Tried a carousel on LinkedIn",
         "tags": ["linkedin", "carousel"], "link": "https://www.linkedin.com/posts/1",
         "outcome": "Twice the usual replies"},
        {"id": 2, "logged_on": "2026-11-26", "text": "list", "tags": [], "link": None,
         "outcome": None}]
    assert [r["id"] for r in run("me", "log", "list", "--tag", "Carousel", "-f", "json").json()
            ] == [1]
    assert [r["id"] for r in run("me", "log", "list", "--since", "2026-11-25", "-f",
                                 "json").json()] == [2]
    assert run("me", "log", "list", "-f", "csv").stdout.splitlines()[0] == (
        "id,logged_on,text,tags,link,outcome")
    assert run("me", "log", "remove", "2", "--yes").stdout == "Removed entry 2.\n"
    assert [r["id"] for r in run("me", "log", "list", "-f", "json").json()] == [1]


def test_log_edit_clears_a_link_with_an_empty_value(run: Run) -> None:
    run("me", "log", "Wrote a thread", "--link", "https://example.org/a")
    result = run("me", "log", "edit", "1", "--link", "", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["link"] is None
    assert run("me", "log", "edit", "1").exit_code == 2            # nothing to change


def test_log_list_empty_json_is_an_empty_array(run: Run) -> None:
    assert run("me", "log", "list", "-f", "json").stdout == "[]\n"


@pytest.mark.parametrize(("args", "message"), [
    (("--link", "ftp://example.org/x"), "--link 'ftp://example.org/x' is not an http(s) address"),
    (("--link", "javascript:alert(1)"), "--link 'javascript:alert(1)' is not an http(s) address"),
    (("--link", "https://"), "--link 'https://' is not an http(s) address"),
    (("--date", "2026-11-27"), "--date 2026-11-27 is in the future"),
    (("--date", "yesterday"), "--date 'yesterday' is not a date"),
    (("--tag", "two words"), "--tag 'two words' is not a tag"),
])
def test_log_refuses_bad_input_in_one_line(run: Run, on_the_26th: None, args: tuple[str, ...],
                                           message: str) -> None:
    result = run("me", "log", "Something", *args)
    assert result.exit_code == 5
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert run("me", "log", "list", "-f", "json").stdout == "[]\n"


def test_log_a_typo_of_a_command_is_not_logged(run: Run) -> None:
    result = run("me", "log", "lst")
    assert result.exit_code == 2
    assert "did you mean `smo me log list`?" in result.stderr
    assert run("me", "log", "list", "-f", "json").stdout == "[]\n"


@pytest.mark.parametrize("args", [("edit", "9", "--outcome", "x"), ("remove", "9", "--yes")])
def test_log_unknown_id_exits_not_found(run: Run, args: tuple[str, ...]) -> None:
    result = run("me", "log", *args)
    assert result.exit_code == 3
    assert result.stderr.startswith("error: no log entry 9")


def test_log_empty_text_is_refused(workspace: Path) -> None:
    with _session(workspace) as session, pytest.raises(InvalidData, match="the entry is empty"):
        practice.add_entry(session, text="  ", today=TODAY)


# --- learning goals -----------------------------------------------------------------------------

def test_goals_round_trip_and_overdue_marked(workspace: Path, run: Run,
                                             on_the_26th: None) -> None:
    assert run("me", "goals", "add", "Learn Bluesky feeds", "--by", "2026-12-31").stdout == (
        "Added goal 1, by 2026-12-31.\n")
    assert run("me", "goals", "add", "Give a workshop").exit_code == 0
    with _session(workspace) as session:          # written on 1 Nov, due 20 Nov: now overdue
        practice.add_goal(session, text="Alt texts everywhere", today=date(2026, 11, 1),
                          by=date(2026, 11, 20))
    result = run("me", "goals", "list", "-f", "json")
    assert result.json() == [
        {"id": 3, "text": "Alt texts everywhere", "target_date": "2026-11-20", "done_on": None,
         "state": "overdue", "days_left": -6},
        {"id": 1, "text": "Learn Bluesky feeds", "target_date": "2026-12-31", "done_on": None,
         "state": "open", "days_left": 35},
        {"id": 2, "text": "Give a workshop", "target_date": None, "done_on": None,
         "state": "open", "days_left": None}]
    assert "1 goal is overdue." in result.stderr
    assert run("me", "goals", "done", "3", "--on", "2026-11-25").stdout == (
        "Goal 3 met on 2026-11-25.\n")
    assert [g["id"] for g in run("me", "goals", "list", "--done", "-f", "json").json()] == [3]
    assert [g["id"] for g in run("me", "goals", "list", "--open", "-f", "json").json()] == [1, 2]
    assert run("me", "goals", "remove", "2", "-y").stdout == "Removed goal 2.\n"
    assert [g["id"] for g in run("me", "goals", "list", "-f", "json").json()] == [1, 3]


def test_goals_errors(run: Run, on_the_26th: None) -> None:
    past = run("me", "goals", "add", "Too late", "--by", "2026-11-25")
    assert past.exit_code == 5 and "--by 2026-11-25 is in the past" in past.stderr
    assert run("me", "goals", "done", "7").exit_code == 3
    assert run("me", "goals", "remove", "7", "-y").exit_code == 3
    run("me", "goals", "add", "Something")
    assert run("me", "goals", "done", "1", "--on", "2026-11-27").exit_code == 5   # future
    assert run("me", "goals", "done", "1").exit_code == 0
    again = run("me", "goals", "done", "1")
    assert again.exit_code == 4
    assert again.stderr.startswith("error: goal 1 was already met on 2026-11-26")
    assert run("me", "goals", "list", "--open", "--done").exit_code == 2


def test_goal_conflict_and_rows_in_the_service(workspace: Path) -> None:
    with _session(workspace) as session:
        goal = practice.add_goal(session, text="Learn", today=TODAY, by=TODAY)
        assert practice.goal_row(goal, TODAY)["state"] == "open"          # due today: not late
        assert practice.goal_row(goal, date(2026, 11, 27))["state"] == "overdue"
        practice.complete_goal(session, goal.id or 0, today=TODAY)
        with pytest.raises(Conflict):
            practice.complete_goal(session, goal.id or 0, today=TODAY)
        stored = session.exec(select(LearningGoal)).one()
        assert stored.done_on == TODAY
        assert session.exec(select(PracticeEntry)).all() == []


def test_me_help_shows_the_short_log_form(run: Run) -> None:
    listed = run("me", "log", "--help").stdout
    assert 'smo me log "TEXT"' in listed
    for command in ("add", "list", "edit", "remove"):
        assert f"\n  {command} " in listed
