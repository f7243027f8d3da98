"""Measuring one metric over one period: a value with its formula, its inputs and its period.

`Measurer` keeps what it computed for the lifetime of one report, so the six periods of a trend
and the KPIs that share a query (volume, net sentiment and positive share come from one count per
sentiment) ask the database once, and a figure a report shows twice (in its KPIs and in its own
sections) is measured once. `measure` is the one-off form.

Which figures follow --dept: inbox items (by the department they were routed to), people
(policy, training, awareness survey answers), inventory gaps and accounts owned by the department
(`dept:KEY`). Mentions, posts and manual values have no department: they are given for the whole
organisation, and the note says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smo_cli.config import Workspace
from smo_cli.errors import InvalidData
from smo_cli.services import kpi_audience, kpi_figures, kpi_inbox, kpi_people
from smo_cli.services.inventory_gap import find_gaps
from smo_cli.services.kpi_figures import TIMES
from smo_cli.services.kpi_file import MANUAL_RULE, latest_in, manual_units
from smo_cli.services.kpi_period import Period
from smo_cli.services.metrics import METRICS
from smo_cli.services.org import check_department

T = TypeVar("T")
Inputs = dict[str, float | int | None]
Figure = tuple[float | None, Inputs, str | None]           # value, inputs, note
FLOW_METRICS = frozenset({"mention_volume"})               # add up over time: targets scale
SNAPSHOT_METRICS = frozenset({"inventory_gaps_open"})      # known only now: no history
BY_DEPARTMENT = frozenset({"first_response_median", "first_response_p90", "within_sla",
                           "response_rate", "audience_growth", "followers", "policy_ack_rate",
                           "training_coverage", "awareness_index", "inventory_gaps_open"})


@dataclass(frozen=True)
class Measurement:
    """One figure with what it is made of: its formula in words, its inputs, its period."""

    key: str
    value: float | None             # None: nothing to measure in the period ("no data")
    unit: str
    period: Period
    formula: str
    inputs: dict[str, float | int | None] = field(default_factory=dict)
    note: str | None = None


def _say(lang: str, en: str, nl: str) -> str:
    return nl if lang == "nl" else en


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class Measurer:
    """Measures metrics over periods for one workspace at one moment (`now`)."""

    def __init__(self, session: Session, workspace: Workspace, *, lang: str = "en",
                 now: datetime | None = None) -> None:
        self.session, self.workspace, self.lang = session, workspace, lang
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.zone = workspace.settings.business_hours.timezone
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._manual: dict[str, str] | None = None

    def __call__(self, key: str, period: Period, department: str | None = None) -> Measurement:
        department = check_department(self.workspace.settings, department)
        memo = ("measurement", key, period, department)
        if memo not in self._memo:
            self._memo[memo] = self._measure(key, period, department)
        found: Measurement = self._memo[memo]
        return found

    def _measure(self, key: str, period: Period, department: str | None) -> Measurement:
        builtin = METRICS.get(key)
        if builtin is None:
            if key not in self.manual_units():
                raise InvalidData(f"unknown metric {key!r}: not a built-in metric, nor a manual "
                                  "one of kpis.yaml or strategy.yaml",
                                  hint="`smo kpi list --metrics` shows the built-in metrics")
            unit = self.manual_units()[key]
            value, inputs, note = self._manual_value(key, period)
            formula = _say(self.lang, MANUAL_RULE, "de laatste waarde die in de periode is "
                           "vastgelegd (smo kpi record of kpi import)")
            return Measurement(key, value, unit, period, formula, inputs, note)
        if period.bounds(self.zone)[0] >= self.now:
            value, inputs, note = None, {}, _say(self.lang, "the period has not begun",
                                                 "de periode is nog niet begonnen")
        else:
            value, inputs, note = getattr(self, f"_{key}")(period, department)
        if department is not None and key not in BY_DEPARTMENT:
            whole = _say(self.lang, "for the whole organisation: it has no department",
                         "voor de hele organisatie: dit cijfer kent geen afdeling")
            note = f"{note}; {whole}" if note else whole
        return Measurement(key, value, builtin.unit, period, builtin.formula(self.lang), inputs,
                           note)

    @property
    def today(self) -> date:
        """The day it is now in the company's time zone."""
        return self.now.astimezone(ZoneInfo(self.zone)).date()

    def manual_units(self) -> dict[str, str]:
        if self._manual is None:
            self._manual = manual_units(self.workspace)
        return self._manual

    def _once(self, name: str, period: Period, department: str | None,
              compute: Callable[[datetime, datetime], T]) -> T:
        memo = (name, period, department)
        if memo not in self._memo:
            since, until = period.bounds(self.zone)
            self._memo[memo] = compute(since, min(until, self.now))
        result: T = self._memo[memo]
        return result

    def _until(self, period: Period) -> datetime:
        return min(period.bounds(self.zone)[1], self.now)

    # -- mentions (the whole organisation) -------------------------------------------------

    def _sentiment(self, period: Period) -> dict[str, int]:
        return self._once("sentiment", period, None, lambda since, until:
                          kpi_figures.sentiment_counts(self.session, since, until))

    def _mention_volume(self, period: Period, _department: str | None) -> Figure:
        counts = self._sentiment(period)
        return float(sum(counts.values())), {"mentions": sum(counts.values())}, None

    def _net_sentiment(self, period: Period, _department: str | None) -> Figure:
        counts = self._sentiment(period)
        # The variant (of the mentions with a sentiment, in points) is in the formula.
        return kpi_figures.net_sentiment(counts), dict(counts), None

    def _positive_share(self, period: Period, _department: str | None) -> Figure:
        counts = self._sentiment(period)
        return kpi_figures.positive_share(counts), dict(counts), None

    def _share_of_voice(self, period: Period, _department: str | None) -> Figure:
        ours, theirs = self._once("voice", period, None, lambda since, until:
                                  kpi_figures.voice_counts(self.session, since, until))
        note = None
        if ours and not theirs:
            note = _say(self.lang, "no competitor mentions in the period: 100%",
                        "geen vermeldingen van concurrenten in de periode: 100%")
        elif not ours and not theirs:
            note = _say(self.lang, "no mentions of us or of competitors in the period",
                        "geen vermeldingen van ons of van concurrenten in de periode")
        return kpi_figures.share_of_voice(ours, theirs), {"ours": ours, "competitors": theirs}, \
            note

    # -- inbox ------------------------------------------------------------------------------

    def _counts(self, period: Period, department: str | None) -> kpi_inbox.InboxCounts:
        return self._once("inbox", period, department, lambda since, until:
                          kpi_inbox.inbox_counts(self.session, since, until, now=self.now,
                                                 department=department))

    def _times(self, period: Period, department: str | None) -> kpi_inbox.ResponseTimes:
        hours = self.workspace.settings.business_hours
        return self._once("times", period, department, lambda since, until:
                          kpi_inbox.response_times(self.session, since, until, hours,
                                                   department=department))

    def _first_response_median(self, period: Period, department: str | None) -> Figure:
        times = self._times(period, department)
        return _hours(times.median), {"answered": times.responded}, None

    def _first_response_p90(self, period: Period, department: str | None) -> Figure:
        times = self._times(period, department)
        return _hours(times.p90), {"answered": times.responded}, _say(
            self.lang, f"nearest rank: the answer time of item ⌈0.9 {TIMES} n⌉ in order",
            f"dichtstbijzijnde rang: de reactietijd van item ⌈0,9 {TIMES} n⌉ op volgorde")

    def _within_sla(self, period: Period, department: str | None) -> Figure:
        counts = self._counts(period, department)
        value = (counts.within_sla / counts.sla_counted * 100 if counts.sla_counted else None)
        return value, {"within": counts.within_sla, "counted": counts.sla_counted}, _say(
            self.lang, "open items whose deadline is still ahead are not counted",
            "open items waarvan de termijn nog loopt tellen niet mee")

    def _response_rate(self, period: Period, department: str | None) -> Figure:
        counts = self._counts(period, department)
        value = counts.answered / counts.answerable * 100 if counts.answerable else None
        return value, {"answered": counts.answered, "needing_answer": counts.answerable,
                       "routed": counts.created}, _say(
            self.lang, "praise and other items need no answer and are left out",
            "complimenten en overige items vragen geen antwoord en tellen niet mee")

    # -- audience and posts -----------------------------------------------------------------

    def _owner(self, department: str | None) -> str | None:
        return None if department is None else f"dept:{department}"

    def _followers(self, period: Period, department: str | None) -> Figure:
        until = self._until(period)
        found = kpi_audience.followers_at(self.session, until, owner=self._owner(department))
        value = float(sum(found.values())) if found else None
        day = min(period.end, self.today).isoformat()
        return value, {"accounts": len(found)}, _say(
            self.lang, f"the latest check up to {day}", f"de laatste controle tot en met {day}")

    def _audience_growth(self, period: Period, department: str | None) -> Figure:
        growth = self._once("growth", period, department, lambda since, until:
                            kpi_audience.audience_growth(self.session, since, until,
                                                         owner=self._owner(department)))
        return growth.growth, {"accounts": growth.accounts, "followers_before": growth.start,
                               "followers_after": growth.end}, None

    def _posting(self, period: Period) -> kpi_audience.Posting:
        return self._once("posting", period, None, lambda since, until:
                          kpi_audience.posting(self.session, self.workspace.settings, since,
                                               until))

    def _engagement_rate(self, period: Period, _department: str | None) -> Figure:
        posting = self._posting(period)
        note = None
        if posting.unmatched:
            note = _say(self.lang, "not an official inventory account: ",
                        "geen officieel account in de inventaris: ") + ", ".join(
                posting.unmatched)
        return posting.engagement_rate, {"posts": posting.posts, "measured": posting.measured}, \
            note

    def _posting_cadence(self, period: Period, _department: str | None) -> Figure:
        posting = self._posting(period)
        since = period.bounds(self.zone)[0]
        weeks = (self._until(period) - since).total_seconds() / (7 * 86400)
        return posting.posts / weeks if weeks > 0 else None, {
            "posts": posting.posts, "weeks": round(weeks, 2)}, None

    # -- people and the inventory -----------------------------------------------------------

    def _share(self, share: kpi_people.Share | None, missing: str, missing_nl: str) -> Figure:
        if share is None:
            return None, {}, _say(self.lang, missing, missing_nl)
        return share.percent, {"people": share.whole, "counted": share.part}, share.about

    def _policy_ack_rate(self, period: Period, department: str | None) -> Figure:
        share = kpi_people.policy_acknowledged(self.session, self.workspace, period.end,
                                               department=department)
        return self._share(share, "no policy version published by the end of the period",
                           "geen beleidsversie gepubliceerd voor het eind van de periode")

    def _training_coverage(self, period: Period, department: str | None) -> Figure:
        share = kpi_people.training_coverage(self.session, self.workspace, period.end,
                                             department=department)
        return self._share(share, "no courses in training.yaml", "geen cursussen in "
                           "training.yaml")

    def _awareness_index(self, period: Period, department: str | None) -> Figure:
        index, survey, respondents = kpi_people.awareness(self.session, period.end,
                                                          department=department)
        note = None if survey is None else _say(self.lang, f"survey {survey}",
                                                f"enquête {survey}")
        return index, {"respondents": respondents}, note

    def _inventory_gaps_open(self, period: Period, department: str | None) -> Figure:
        del period              # a snapshot: smo keeps no history of gaps
        gaps = self._once("gaps", Period(self.today, self.today, "today"), department,
                          lambda _since, _until: find_gaps(
                              self.session, self.workspace.settings, department=department,
                              now=self.now))
        day = self.today.isoformat()
        return float(len(gaps)), {"gaps": len(gaps)}, _say(
            self.lang, f"a snapshot of today ({day}), whatever the period",
            f"een momentopname van vandaag ({day}), welke periode ook")

    # -- manual -----------------------------------------------------------------------------

    def _manual_value(self, key: str, period: Period) -> Figure:
        record = latest_in(self.session, key, period.start, period.end)
        if record is None:
            return None, {}, _say(self.lang, f"nothing recorded in {period.label}",
                                  f"niets vastgelegd in {period.label}")
        note = _say(self.lang, f"recorded on {record.recorded_on.isoformat()}",
                    f"vastgelegd op {record.recorded_on.isoformat()}")
        return record.value, {"value": record.value}, (
            f"{note}: {record.note}" if record.note else note)


def measure(session: Session, workspace: Workspace, key: str, period: Period, *,
            department: str | None = None, lang: str = "en",
            now: datetime | None = None) -> Measurement:
    """The value of metric `key` (built-in or manual) over `period`."""
    return Measurer(session, workspace, lang=lang, now=now)(key, period, department)
