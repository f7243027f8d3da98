"""KPI services against hand-computed fixtures: month and quarter boundaries in
Europe/Amsterdam, mention figures (volume, net sentiment, share of voice with and without
competitors), inbox figures in business hours (a weekend counts 0), an empty period, manual
values, the report's statuses and trend, and ROI with every input.

Acme's business hours are Monday to Friday 08:30-17:00 in Europe/Amsterdam (UTC+1 in November).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from smo_cli.config import Workspace, load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.models import (
    Account,
    AccountSnapshot,
    Assignment,
    CostEntry,
    KpiRecord,
    Mention,
    MentionQuery,
    SavedQuery,
    ValueEntry,
)
from smo_cli.errors import InvalidData
from smo_cli.services.business_hours import business_hours_between
from smo_cli.services.kpi import KpiRow, kpi_report, measure, parse_period, roi
from smo_cli.services.kpi_inbox import response_times

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)     # November and Q4's first two months are past


def _utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Db:
    workspace: Workspace
    engine: Engine

    def write(self) -> AbstractContextManager[Session]:
        return transaction(self.engine)

    def measure(self, key: str, period: str, department: str | None = None) -> float | None:
        with reading(self.engine) as session:
            return measure(session, self.workspace, key, parse_period(period),
                           department=department, now=NOW).value


@pytest.fixture
def db(workspace: Path) -> Iterator[Db]:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    yield Db(ws, engine)
    engine.dispose()


# -- mentions --------------------------------------------------------------------------------

def _mention(session: Session, key: str, sentiment: str | None, queries: list[str],
             published: datetime | None, seen: datetime | None = None) -> None:
    mention = Mention(source_name="test", dedup_key=key, text=key, content_hash=key,
                      sentiment=sentiment, published_at=published,
                      first_seen_at=seen or published or NOW)
    session.add(mention)
    session.flush()
    for name in queries:
        session.add(MentionQuery(mention_id=mention.id or 0, query_name=name))


@pytest.fixture
def mentions(db: Db) -> Db:
    with db.write() as session:
        for name, group in (("brand", "brand"), ("product", "product"),
                            ("warmtewerk", "competitor"), ("misc", "other")):
            session.add(SavedQuery(name=name, group=group, text=name))
        for key, sentiment, queries, published, seen in (
                ("n1", "positive", ["brand"], _utc(11, 2, 10), None),
                ("n2", "negative", ["brand", "product"], _utc(11, 3, 10), None),  # ours once
                ("n3", "neutral", ["warmtewerk"], _utc(11, 4, 10), None),
                ("n4", "neutral", ["brand"], None, _utc(11, 5, 10)),     # counted when seen
                ("n5", "positive", ["brand"], _utc(10, 31, 23, 30), None),  # 00:30 on 1 Nov
                ("n6", None, ["brand"], _utc(11, 6, 10), None),          # no sentiment
                ("n7", "positive", ["brand", "warmtewerk"], _utc(11, 7, 10), None),  # both
                ("n8", "negative", ["misc"], _utc(11, 8, 10), None),
                ("o1", "negative", ["brand"], _utc(10, 31, 22, 30), None),  # 23:30 on 31 Oct
                ("q1", "neutral", ["brand"], _utc(9, 30, 22, 30), None),    # 00:30 on 1 Oct
                ("y1", "neutral", ["brand"], _utc(12, 31, 23, 30), None),   # 2027 in Amsterdam
                ("s1", "positive", ["brand"], _utc(9, 10, 10), None),
                ("s2", "neutral", ["product"], _utc(9, 11, 10), None)):
            _mention(session, key, sentiment, queries, published, seen)
    return db


def test_mention_volume_counts_by_local_month_and_quarter(mentions: Db) -> None:
    assert mentions.measure("mention_volume", "2026-11") == 8     # n1-n8, n5 at 00:30 local
    assert mentions.measure("mention_volume", "2026-10") == 2     # o1 at 23:30, q1 at 00:30
    assert mentions.measure("mention_volume", "2026-Q4") == 10    # not y1: 2027 locally
    assert mentions.measure("mention_volume", "2026-Q3") == 2     # s1, s2; not q1
    assert mentions.measure("mention_volume", "2026") == 12


def test_net_sentiment_is_of_the_mentions_with_a_sentiment(mentions: Db) -> None:
    # November: positive n1 n5 n7, negative n2 n8, neutral n3 n4; n6 has none.
    assert mentions.measure("net_sentiment", "2026-11") == pytest.approx((3 - 2) / 7 * 100)
    assert mentions.measure("positive_share", "2026-11") == pytest.approx(3 / 7 * 100)


def test_share_of_voice_counts_each_mention_once_per_side(mentions: Db) -> None:
    # Ours: n1 n2 n4 n5 n6 n7 (n2 matched two of our queries); theirs: n3 n7.
    assert mentions.measure("share_of_voice", "2026-11") == pytest.approx(6 / 8 * 100)


def test_share_of_voice_without_competitor_mentions_is_100_and_says_so(mentions: Db) -> None:
    with reading(mentions.engine) as session:
        found = measure(session, mentions.workspace, "share_of_voice", parse_period("2026-09"),
                        now=NOW)
    assert found.value == 100
    assert found.inputs == {"ours": 2, "competitors": 0}
    assert found.note == "no competitor mentions in the period: 100%"


def test_an_empty_period_has_no_data(mentions: Db) -> None:
    with reading(mentions.engine) as session:
        found = {key: measure(session, mentions.workspace, key, parse_period("2026-06"),
                              now=NOW)
                 for key in ("share_of_voice", "net_sentiment", "first_response_median",
                             "within_sla", "response_rate", "mention_volume")}
    assert {k: m.value for k, m in found.items()} == {
        "share_of_voice": None, "net_sentiment": None, "first_response_median": None,
        "within_sla": None, "response_rate": None, "mention_volume": 0}
    assert found["share_of_voice"].note == ("no mentions of us or of competitors in the "
                                            "period")
    assert found["mention_volume"].period.label == "2026-06"
    assert "business hours" in found["first_response_median"].formula


# -- the inbox -------------------------------------------------------------------------------

# (name, type, department, created, responded, SLA due); business hours by hand on the right.
ITEMS = [
    ("A", "question", "marketing", _utc(11, 6, 15), _utc(11, 9, 9, 30), _utc(11, 9, 8)),
    # Fri 16:00 -> Mon 10:30 local: 1 h on Friday + 2 h on Monday, the weekend counts 0 = 3 h
    ("B", "complaint", "it", _utc(11, 10, 8), _utc(11, 10, 9), _utc(11, 10, 12)),       # 1 h
    ("C", "question", "marketing", _utc(11, 11, 7), _utc(11, 11, 8), _utc(11, 11, 12)),
    # 08:00 -> 09:00 local, before opening: from 08:30 = 0.5 h
    ("D", "lead", "it", _utc(11, 12, 12), _utc(11, 13, 12), _utc(11, 12, 15)),
    # Thu 13:00-17:00 + Fri 08:30-13:00 = 8.5 h, after its deadline
    ("E", "question", "marketing", _utc(11, 14, 10), _utc(11, 16, 8), None),
    # Saturday -> Monday 09:00 local = 0.5 h; no deadline
    ("I", "question", "marketing", _utc(11, 16, 9), _utc(11, 16, 13), _utc(11, 16, 13)),  # 4 h
    ("J", "question", "marketing", _utc(11, 17, 8), _utc(11, 17, 13), _utc(11, 17, 16)),  # 5 h
    ("F", "question", "marketing", _utc(11, 18, 9), None, _utc(11, 18, 12)),   # missed
    ("G", "praise", "marketing", _utc(11, 19, 9), None, None),                 # needs no answer
    ("L", "question", "marketing", _utc(11, 30, 10), None, _utc(12, 20, 12)),  # still running
    ("K", "question", "marketing", _utc(10, 30, 10), _utc(10, 30, 11), None),  # October
]


@pytest.fixture
def inbox(db: Db) -> Db:
    with db.write() as session:
        for name, kind, department, created, responded, due in ITEMS:
            mention = Mention(source_name="test", dedup_key=name, text=name, content_hash=name,
                              published_at=created, first_seen_at=created)
            session.add(mention)
            session.flush()
            session.add(Assignment(mention_id=mention.id or 0, rule_id="r", type=kind,
                                   department=department, created_at=created,
                                   responded_at=responded, sla_due_at=due,
                                   state="responded" if responded else "new"))
    return db


def test_median_first_response_spans_a_weekend_in_business_hours(inbox: Db) -> None:
    # Sorted: C 0.5, E 0.5, B 1, A 3, I 4, J 5, D 8.5 -> the middle one is A, across a weekend
    # (66.5 hours on the clock).
    assert inbox.measure("first_response_median", "2026-11") == 3.0


def test_p90_is_the_nearest_rank(inbox: Db) -> None:
    # ceil(0.9 x 7) = 7th of 7: D.
    assert inbox.measure("first_response_p90", "2026-11") == 8.5


def test_an_even_count_takes_the_mean_of_the_middle_two(inbox: Db) -> None:
    # IT: B 1 and D 8.5.
    assert inbox.measure("first_response_median", "2026-11", "it") == 4.75
    assert inbox.measure("first_response_p90", "2026-11", "it") == 8.5


def test_sql_business_hours_agree_with_business_hours_between(inbox: Db) -> None:
    hours = inbox.workspace.settings.business_hours
    by_hand = sorted(business_hours_between(created, responded, hours)
                     for _, _, _, created, responded, _ in ITEMS
                     if responded is not None and created.month == 11)
    since, until = parse_period("2026-11").bounds(hours.timezone)
    with reading(inbox.engine) as session:
        found = response_times(session, since, until, hours)
    assert found.responded == len(by_hand) == 7
    assert found.median == pytest.approx(statistics.median(by_hand))
    assert found.p90 == pytest.approx(by_hand[-(-9 * len(by_hand) // 10) - 1])


def test_within_sla_counts_answered_and_passed_deadlines(inbox: Db) -> None:
    # Within: B, C, I (at the deadline itself), J. Counted: those, A and D (late), F (passed,
    # unanswered). Not: E and G (no deadline), L (deadline still ahead).
    assert inbox.measure("within_sla", "2026-11") == pytest.approx(4 / 7 * 100)


def test_response_rate_leaves_out_praise(inbox: Db) -> None:
    with reading(inbox.engine) as session:
        found = measure(session, inbox.workspace, "response_rate", parse_period("2026-11"),
                        now=NOW)
    assert found.value == pytest.approx(7 / 9 * 100)        # F and L unanswered, G is praise
    assert found.inputs == {"answered": 7, "needing_answer": 9, "routed": 10}
    assert found.note == "praise and other items need no answer and are left out"


def test_mention_figures_ignore_the_department_and_say_so(inbox: Db) -> None:
    with reading(inbox.engine) as session:
        found = measure(session, inbox.workspace, "mention_volume", parse_period("2026-11"),
                        department="it", now=NOW)
    assert found.value == 10
    assert found.note == "for the whole organisation: it has no department"


# -- audience, manual values, the report -----------------------------------------------------

def test_followers_and_growth_from_the_inventory_checks(db: Db) -> None:
    with db.write() as session:
        accounts = [Account(platform="linkedin", handle="company/acme"),
                    Account(platform="instagram", handle="@acme"),
                    Account(platform="x", handle="@newcomer")]
        session.add_all(accounts)
        session.flush()
        ids = [a.id or 0 for a in accounts]
        for account_id, checked, followers in (
                (ids[0], _utc(10, 28, 9), 1000), (ids[0], _utc(11, 15, 9), 1100),
                (ids[0], _utc(11, 29, 9), 1200), (ids[1], _utc(10, 1, 9), 500),
                (ids[1], _utc(11, 20, 9), 450), (ids[2], _utc(11, 10, 9), 70)):
            session.add(AccountSnapshot(account_id=account_id, checked_at=checked,
                                        status="ok", followers=followers))
        session.add(AccountSnapshot(account_id=ids[0], checked_at=_utc(11, 30, 9),
                                    status="unreachable"))
    assert db.measure("followers", "2026-11") == 1200 + 450 + 70
    # Only the accounts checked before and during November: (1650 - 1500) / 1500.
    assert db.measure("audience_growth", "2026-11") == pytest.approx(10.0)


def _kpis(workspace: Path, text: str) -> None:
    (workspace / "kpis.yaml").write_text(text)


def test_a_manual_value_is_the_latest_recorded_in_the_period(db: Db) -> None:
    _kpis(db.workspace.root, "kpis:\n  - {key: leads, name: Leads, target: 6, direction: up}\n")
    with db.write() as session:
        for day, value in ((date(2026, 11, 10), 5), (date(2026, 11, 25), 7),
                           (date(2026, 12, 2), 9)):
            session.add(KpiRecord(key="leads", value=value, recorded_on=day, note="CRM"))
    with reading(db.engine) as session:
        found = measure(session, db.workspace, "leads", parse_period("2026-11"), now=NOW)
    assert (found.value, found.note) == (7, "recorded on 2026-11-25: CRM")
    assert found.formula == ("the latest value recorded in the period (smo kpi record or kpi "
                             "import)")


def _report(db: Db, period: str, now: datetime = NOW) -> dict[str, KpiRow]:
    with reading(db.engine) as session:
        return {r.key: r for r in kpi_report(session, db.workspace, parse_period(period),
                                             now=now)}


def test_report_rows_have_target_previous_trend_and_status(inbox: Db) -> None:
    _kpis(inbox.workspace.root, """kpis:
  - {key: reply, name: First reply, metric: first_response_median, target: 4}
  - {key: sla, name: Within SLA, metric: within_sla, target: 90}
  - {key: volume, name: Mentions, metric: mention_volume, target: 30, period: quarter}
  - {key: sov, name: Share of voice, metric: share_of_voice}
""")
    rows = _report(inbox, "2026-11")
    assert rows["reply"].status == "met"                      # 3 h, at most 4
    assert rows["sla"].status == "behind"                     # 57%, not 90%
    assert rows["sov"].status == "no data"
    assert rows["reply"].previous.value == 1.0                # K in October
    assert rows["reply"].trend == [None, None, None, None, 1.0, 3.0]
    # A quarterly target for a figure that adds up: 30 / 91.3 days x 30 days.
    assert rows["volume"].target == pytest.approx(30 / (365.25 / 4) * 30)
    assert rows["volume"].target_note == "target 30 a quarter, scaled per day to 30 days"
    assert rows["volume"].actual.value == 10 and rows["volume"].status == "met"


def test_a_running_period_is_on_track_or_behind(inbox: Db) -> None:
    _kpis(inbox.workspace.root, """kpis:
  - {key: volume, name: Mentions, metric: mention_volume, target: 30}
  - {key: few, name: Fewer mentions, metric: mention_volume, target: 6}
  - {key: reply, name: First reply, metric: first_response_median, target: 2}
""")
    # On 10 November, 10 of 30 days have gone and A and B have come in: 2 mentions, where
    # 30 x 10/30 = 10 would be on track, and 6 x 10/30 = 2 is.
    rows = _report(inbox, "2026-11", now=_utc(11, 10, 12))
    assert rows["volume"].actual.value == 2
    assert (rows["volume"].status, rows["few"].status) == ("behind", "on track")
    assert rows["reply"].status == "on track"                 # B so far: 1 h, at most 2


def test_a_gap_count_is_a_snapshot_without_history(db: Db) -> None:
    _kpis(db.workspace.root, "kpis:\n  - {key: gaps, name: Gaps, metric: inventory_gaps_open, "
                             "target: 0}\n")
    row = _report(db, "2026-10")["gaps"]
    assert row.previous.value is None and row.trend[:5] == [None] * 5
    assert row.actual.note == "a snapshot of today (2026-12-15), whatever the period"


# -- ROI -------------------------------------------------------------------------------------

def test_roi_shows_every_input(db: Db) -> None:
    with db.write() as session:
        session.add_all([
            CostEntry(spent_on=date(2026, 11, 3), category="hours", description="posts",
                      hours=10, rate=50, amount=500),
            CostEntry(spent_on=date(2026, 11, 4), category="tools", description="scheduler",
                      amount=100),
            CostEntry(spent_on=date(2026, 11, 30), category="advertising", description="ads",
                      amount=200, department="sales"),
            CostEntry(spent_on=date(2026, 12, 1), category="tools", description="later",
                      amount=999),
            ValueEntry(gained_on=date(2026, 11, 20), category="leads", description="CRM",
                       quantity=4, unit_value=250, amount=1000),
            ValueEntry(gained_on=date(2026, 11, 21), category="savings", description="calls",
                       amount=300)])
    with reading(db.engine) as session:
        result = roi(session, db.workspace, parse_period("2026-11"))
        sales = roi(session, db.workspace, parse_period("2026-11"), department="sales")
    assert (result.total_cost, result.total_value) == (800, 1300)
    assert result.roi_percent == pytest.approx(62.5)
    assert result.costs == {"hours": 500, "tools": 100, "advertising": 200, "agency": 0,
                            "training": 0}
    assert result.inputs == [
        "cost hours: 500.00 (1 entry, 10 hours)", "cost tools: 100.00 (1 entry)",
        "cost advertising: 200.00 (1 entry)", "value leads: 1,000.00 (1 entry)",
        "value savings: 300.00 (1 entry)", "total cost 800.00", "total value 1,300.00",
        "ROI = (value \u2212 cost) ÷ cost \u00d7 100 = (1,300.00 \u2212 800.00) ÷ 800.00 "
        "\u00d7 100 = 62.5%"]
    assert sales.roi_percent == -100 and sales.inputs[-1] == "only entries of department sales"


def test_no_cost_means_no_roi(db: Db) -> None:
    with reading(db.engine) as session:
        result = roi(session, db.workspace, parse_period("2026-11"))
    assert result.roi_percent is None
    assert result.inputs[-1].endswith("no cost in 2026-11, so no ROI")


def test_an_unknown_metric_is_refused(db: Db) -> None:
    with pytest.raises(InvalidData, match="unknown metric 'mention_volumes'"):
        db.measure("mention_volumes", "2026-11")
