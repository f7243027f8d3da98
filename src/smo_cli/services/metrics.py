"""The registry of built-in metrics (KPI keys) and the figures of "where we stand".

A metric is what a KPI measures: a key that strategy.yaml (and later kpis.yaml) refers to, its
unit, which way is better, and its name and formula in Dutch and English. Metrics smo cannot
measure (leads from social media, applications via Instagram) are *manual*: the officer declares
their key under `manual_metrics:` in strategy.yaml, or in kpis.yaml, and enters their values.

Only what the strategy's "where we stand" section needs is computed here: official accounts with
their latest follower counts, open inventory gaps, mentions of the last 30 days (sentiment, share
per query group, share of voice) and open inbox items. Each figure carries its period or date.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from smo_cli.config import Settings, read_yaml
from smo_cli.db.models import Account, AccountKind, Assignment
from smo_cli.services import kpi_figures
from smo_cli.services.inbox import is_overdue
from smo_cli.services.inventory import latest_snapshots
from smo_cli.services.inventory_gap import find_gaps
from smo_cli.services.kpi_figures import (
    group_sentiment,
    net_sentiment,
    per_query_counts,
    positive_share,
    sentiment_counts,
    share_of_voice,
    voice_counts,
)

Direction = Literal["up", "down"]
Unit = Literal["count", "percent", "points", "hours", "posts_per_week", "index"]
# Share of voice's groups live with its query (kpi_figures); named here too for the reports.
OWN_GROUPS, COMPETITOR_GROUP = kpi_figures.OWN_GROUPS, kpi_figures.COMPETITOR_GROUP
MANUAL = "manual"                     # the kind of a metric the officer measures by hand
KPIS_FILE = "kpis.yaml"
PERIOD_DAYS = 30
UNIT_RANGES: dict[str, tuple[float | None, float | None]] = {
    "count": (0, None), "percent": (0, 100), "points": (-100, 100), "hours": (0, None),
    "posts_per_week": (0, None), "index": (0, 100)}


@dataclass(frozen=True)
class Metric:
    """One built-in metric: the key a KPI names, and how it is measured."""

    key: str
    unit: Unit
    direction: Direction            # which way is better
    name_nl: str
    name_en: str
    formula_nl: str
    formula_en: str
    kind: str = "built-in"

    def name(self, lang: str) -> str:
        return self.name_nl if lang == "nl" else self.name_en

    def formula(self, lang: str) -> str:
        return self.formula_nl if lang == "nl" else self.formula_en


BUILTIN: tuple[Metric, ...] = (
    Metric("mention_volume", "count", "up", "Aantal vermeldingen", "Mention volume",
           "vermeldingen die de opgeslagen zoekvragen vonden in de periode, geteld op "
           "publicatiedatum (zonder publicatiedatum: de dag waarop smo ze vond)",
           "mentions found by the saved queries in the period, counted by publication date "
           "(without one: the day smo found them)"),
    Metric("share_of_voice", "percent", "up", "Share of voice", "Share of voice",
           "vermeldingen van onze eigen zoekvragen (groepen merk, product, persoon, campagne) "
           "als percentage van die plus de vermeldingen van concurrenten",
           "mentions of our own queries (groups brand, product, person, campaign) as a "
           "percentage of those plus the mentions of competitors"),
    Metric("net_sentiment", "points", "up", "Netto sentiment", "Net sentiment",
           "het percentage positieve min het percentage negatieve vermeldingen, van alle "
           "vermeldingen met een sentiment (van -100 tot +100)",
           "the percentage of positive minus the percentage of negative mentions, of all "
           "mentions with a sentiment (from -100 to +100)"),
    Metric("positive_share", "percent", "up", "Aandeel positief", "Positive share",
           "positieve vermeldingen als percentage van alle vermeldingen met een sentiment",
           "positive mentions as a percentage of all mentions with a sentiment"),
    Metric("first_response_median", "hours", "down", "Eerste reactie (mediaan)",
           "First response (median)",
           "mediaan van de tijd van binnenkomst in de inbox tot de eerste reactie, in werkuren "
           "(openingstijden uit smo.yaml), over de inbox-items van de periode",
           "median time from arrival in the inbox to the first response, in business hours "
           "(opening hours from smo.yaml), over the period's inbox items"),
    Metric("first_response_p90", "hours", "down", "Eerste reactie (90%)",
           "First response (90th percentile)",
           "de tijd tot de eerste reactie waarbinnen 90% van de beantwoorde inbox-items van de "
           "periode beantwoord is (dichtstbijzijnde rang), in werkuren",
           "the time to first response within which 90% of the period's answered inbox items "
           "were answered (nearest rank), in business hours"),
    Metric("within_sla", "percent", "up", "Binnen de reactietermijn", "Within SLA",
           "inbox-items van de periode die beantwoord zijn voor hun reactietermijn afliep, als "
           "percentage van de items met een termijn die beantwoord zijn of waarvan de termijn "
           "verstreken is",
           "inbox items of the period answered by their SLA deadline, as a percentage of the "
           "items with a deadline that were answered or whose deadline has passed"),
    Metric("response_rate", "percent", "up", "Reactiepercentage", "Response rate",
           "inbox-items van de periode met een reactie, als percentage van die een antwoord "
           "vragen (alle soorten behalve compliment en overig; gesloten zonder reactie telt als "
           "niet beantwoord)",
           "inbox items of the period with a response, as a percentage of those that call for "
           "one (every type but praise and other; closed without a response counts as "
           "unanswered)"),
    Metric("audience_growth", "percent", "up", "Groei van het publiek", "Audience growth",
           "de toename van het aantal volgers van de officiële accounts van de laatste "
           "inventariscontrole voor de periode tot de laatste erin, als percentage van het "
           "eerste aantal, over de accounts die op beide momenten gecontroleerd zijn",
           "the increase in followers of the official accounts from the latest inventory check "
           "before the period to the latest one in it, as a percentage of the first, over the "
           "accounts checked at both"),
    Metric("followers", "count", "up", "Volgers", "Followers",
           "volgers van de officiële accounts bij de laatste geslaagde inventariscontrole, "
           "opgeteld over de kanalen van het doel",
           "followers of the official accounts at the latest successful inventory check, "
           "added up over the objective's channels"),
    Metric("engagement_rate", "percent", "up", "Betrokkenheid", "Engagement rate",
           "het gemiddelde over de berichten van de bedrijfsaccounts die in de periode "
           "verschenen van (likes + reposts + reacties + citaten in de laatste statistiek) ÷ "
           f"volgers van het account bij publicatie {kpi_figures.TIMES} 100",
           "the mean, over the posts of the company accounts published in the period, of "
           "(likes + reposts + replies + quotes in the latest statistics) ÷ followers of the "
           f"account at publication {kpi_figures.TIMES} 100"),
    Metric("posting_cadence", "posts_per_week", "up", "Publicatieritme", "Posting cadence",
           "berichten op de bedrijfsaccounts van smo engage per week in de periode (een bericht "
           "op twee accounts telt twee keer; van een lopende periode de weken tot nu)",
           "posts on the company's smo engage accounts per week in the period (a post on two "
           "accounts counts twice; of a running period, the weeks so far)"),
    Metric("policy_ack_rate", "percent", "up", "Beleid bevestigd", "Policy acknowledged",
           "mensen op de personenlijst die de aan het eind van de periode geldende versie van "
           "het socialemediabeleid (of een latere) bevestigden, als percentage van allen",
           "people on the people list who acknowledged the version of the social media policy "
           "current at the end of the period (or a later one), as a percentage of all of them"),
    Metric("training_coverage", "percent", "up", "Trainingsdekking", "Training coverage",
           "mensen op de personenlijst met een geldige (niet verlopen) afronding van een cursus "
           "uit training.yaml aan het eind van de periode, als percentage van allen",
           "people on the people list with a valid (not expired) completion of a course in "
           "training.yaml at the end of the period, as a percentage of all of them"),
    Metric("awareness_index", "index", "up", "Bewustzijnsindex", "Awareness index",
           "gemiddelde score op de laatste bewustzijnsenquête onder medewerkers die voor het "
           "eind van de periode openging, op een schaal van 0 tot 100",
           "average score on the latest employee awareness survey opened by the end of the "
           "period, on a scale of 0 to 100"),
    Metric("inventory_gaps_open", "count", "down", "Open inventarisverschillen",
           "Open inventory gaps",
           "bevindingen van smo inventory gap op de peildatum: ontbrekende of slapende "
           "accounts, nepaccounts, accounts zonder beheerder of tweestapsverificatie",
           "findings of smo inventory gap on the day: missing or dormant accounts, "
           "impostors, accounts without a custodian or two-factor authentication"),
)
METRICS: dict[str, Metric] = {m.key: m for m in BUILTIN}

MANUAL_NOTE = {
    "nl": "Handmatige KPI's meet smo niet zelf (bijvoorbeeld aanvragen via sociale media uit het "
          "CRM); de sleutel staat onder manual_metrics in strategy.yaml of in kpis.yaml.",
    "en": "Manual KPIs are not measured by smo (leads from social media in the CRM, for "
          "example); their key is declared under manual_metrics in strategy.yaml or in kpis.yaml.",
}


UNIT_WORDS = {
    "nl": {"percent": "%", "points": " punten", "hours": " uur", "posts_per_week": " per week"},
    "en": {"percent": "%", "points": " points", "hours": " hours", "posts_per_week": " a week"},
}


def kpi_file_keys(root: Path) -> set[str]:
    """Keys declared in the workspace's kpis.yaml, if it exists (a list of entries with `key`)."""
    path = root / KPIS_FILE
    if not path.is_file():
        return set()
    data = read_yaml(path)
    entries = data.get("kpis") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        return set()
    return {str(e["key"]) for e in entries if isinstance(e, dict) and e.get("key")}


def out_of_range(value: float, unit: str | None) -> str | None:
    """What is wrong with a value for a unit (a percentage of 120), or None."""
    low, high = UNIT_RANGES.get(unit or "", (None, None))
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
    return f"{value:g} is out of range: a {unit} value is {span}"


def judge_values(key: str, unit: str | None, better: Direction | None,
                 direction: Direction | None, baseline: Any, target: Any, *,
                 known: bool = True) -> list[tuple[str, str]]:
    """Problems (field, what) with an objective's values for a metric: a direction that is
    missing or wrong, a baseline or target that is not a number in the unit's range, and a
    target that does not move from the baseline the way that is better."""
    problems: list[tuple[str, str]] = []
    if known and direction is None and better is None:
        problems.append(("direction", "no direction: write up or down"))
    elif direction and better and direction != better:
        problems.append(("direction", f"{direction}, but {key} is better when it goes {better}"))
    numbers: dict[str, float] = {}
    for name, value in (("baseline", baseline), ("target", target)):
        try:
            number = None if value is None else float(value)
            if number is not None and not math.isfinite(number):
                raise ValueError(value)
        except ValueError:
            problems.append((name, f"{value!r} is not a number"))
            continue
        wrong = None if number is None else out_of_range(number, unit)
        if wrong:
            problems.append((name, wrong))
        elif number is not None:
            numbers[name] = number
    if len(numbers) < 2:
        return problems
    start, goal, way = numbers["baseline"], numbers["target"], better or direction
    if goal == start:
        problems.append(("target", f"{goal:g} is the same as the baseline: nothing would change"))
    elif way == "up" and goal < start:
        problems.append(("target", f"{goal:g} is below the baseline {start:g}, but {key} "
                                   "should go up"))
    elif way == "down" and goal > start:
        problems.append(("target", f"{goal:g} is above the baseline {start:g}, but {key} "
                                   "should go down"))
    return problems


def format_value(value: Any, unit: str | None, lang: str) -> str:
    """1.250 and 12,5% in Dutch, 1,250 and 12.5% in English; '—' for no value."""
    try:
        figure = float(value)
    except (TypeError, ValueError):
        return "—" if value is None else str(value)
    text = f"{figure:,.1f}" if round(figure, 1) % 1 else f"{figure:,.0f}"
    if lang == "nl":
        text = text.translate(str.maketrans(",.", ".,"))
    if unit == "points" and figure > 0:
        text = "+" + text
    plain = unit in (None, "count", "index")
    return text + UNIT_WORDS[lang].get(unit or "", "" if plain else f" {unit}")


# -- where we stand -------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountFigure:
    platform: str
    handle: str
    owner: str
    followers: int | None
    measured_on: date | None        # the day of the latest successful check


@dataclass(frozen=True)
class GroupFigure:
    group: str
    mentions: int
    share: float                    # of all mentions in the period, in %
    positive: int
    neutral: int
    negative: int


@dataclass(frozen=True)
class Standing:
    """The figures of "where we stand" on `day`; mentions cover `period_start`..`period_end`."""

    day: date
    period_start: date
    period_end: date
    accounts: list[AccountFigure]
    gaps: dict[str, int]            # finding -> count
    mentions: int
    sentiment: dict[str, int]       # positive, neutral, negative, none
    groups: list[GroupFigure]
    per_query: dict[str, int]
    share_of_voice: float | None
    inbox_open: int
    inbox_overdue: int
    followers_by_platform: dict[str, int] = field(default_factory=dict)

    @property
    def gaps_open(self) -> int:
        return sum(self.gaps.values())

    @property
    def scored(self) -> int:
        return sum(self.sentiment[k] for k in ("positive", "neutral", "negative"))

    @property
    def net_sentiment(self) -> float | None:
        return net_sentiment(self.sentiment)

    @property
    def positive_share(self) -> float | None:
        return positive_share(self.sentiment)

    def current(self, key: str | None, platforms: list[str]) -> float | None:
        """The figure of a metric as smo measures it today, when it does (else None)."""
        if key == "followers":
            chosen = platforms or list(self.followers_by_platform)
            found = [self.followers_by_platform[p] for p in chosen
                     if p in self.followers_by_platform]
            return float(sum(found)) if found else None
        values: dict[str, float | None] = {
            "mention_volume": float(self.mentions), "share_of_voice": self.share_of_voice,
            "net_sentiment": self.net_sentiment, "positive_share": self.positive_share,
            "inventory_gaps_open": float(self.gaps_open)}
        return values.get(key or "")


def end_of_day(day: date, zone: str) -> datetime:
    """The first instant after `day` in the company's time zone, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)


def where_we_stand(session: Session, settings: Settings, *, today: date,
                   now: datetime | None = None) -> Standing:
    """The figures on `today`; the mentions of the 30 full days before it."""
    zone = settings.business_hours.timezone
    now = now or end_of_day(today, zone)
    start, end = today - timedelta(days=PERIOD_DAYS), today - timedelta(days=1)
    accounts = _accounts(session)
    followers: Counter[str] = Counter()
    for account in accounts:
        if account.followers is not None:
            followers[account.platform] += account.followers
    counts = Counter(gap.finding for gap in find_gaps(session, settings, now=now))
    since, until = end_of_day(start - timedelta(days=1), zone), end_of_day(end, zone)
    sentiment, groups, per_query, sov = _mentions(session, since, until)
    open_items = list(session.scalars(select(Assignment).where(
        col(Assignment.state).in_(("new", "assigned")))).all())
    return Standing(
        day=today, period_start=start, period_end=end, accounts=accounts,
        gaps=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        mentions=sum(sentiment.values()), sentiment=sentiment, groups=groups,
        per_query=per_query, share_of_voice=sov, inbox_open=len(open_items),
        inbox_overdue=sum(1 for item in open_items if is_overdue(item, now)),
        followers_by_platform=dict(followers))


def _accounts(session: Session) -> list[AccountFigure]:
    answered = latest_snapshots(session, answered=True)
    found = []
    for account in session.scalars(select(Account).where(
            col(Account.kind) == AccountKind.official.value).order_by(
            col(Account.platform), col(Account.handle))).all():
        snapshot = answered.get(account.id or 0)
        found.append(AccountFigure(
            account.platform, account.handle, account.owner,
            snapshot.followers if snapshot else None,
            snapshot.checked_at.date() if snapshot else None))
    return found


def _mentions(session: Session, since: datetime, until: datetime
              ) -> tuple[dict[str, int], list[GroupFigure], dict[str, int], float | None]:
    sentiment = sentiment_counts(session, since, until)
    total = sum(sentiment.values())
    by_group = group_sentiment(session, since, until)
    groups = [GroupFigure(group, sum(c.values()), sum(c.values()) / total * 100 if total else 0.0,
                          c["positive"], c["neutral"], c["negative"])
              for group, c in sorted(by_group.items(), key=lambda kv: (-sum(kv[1].values()),
                                                                        kv[0]))]
    return (sentiment, groups, per_query_counts(session, since, until),
            share_of_voice(*voice_counts(session, since, until)))
