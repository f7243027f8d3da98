"""`smo report executive|department`: golden reports of a fixed Acme month in both languages,
the built-in headline without kpis.yaml, targets with it, an empty period, and one-line errors.

The fixture is deterministic: every record has a fixed date in or around November 2026 and the
report is made at a fixed `now`, so the golden files do not change with the clock. Regenerate
them with SMO_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.models import (
    Assignment,
    CostEntry,
    LearningGoal,
    ListenRun,
    Mention,
    MentionQuery,
    OutboxMessage,
    PolicyAck,
    PolicyVersion,
    PracticeEntry,
    TrainingCompletion,
    ValueEntry,
)
from smo_cli.services.kpi import parse_period
from smo_cli.services.reports import department_report, executive_report
from smo_cli.services.reports_render import render_report
from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)          # 09:00 on 1 December in Amsterdam
PERIOD = "2026-11"
XSS_TITLE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
XSS_TEXT = '"><img src=x onerror=alert(1)> lekkage bij Acme'
XSS_URL = "javascript:alert(1)"
XSS_AUTHOR = "{{ 7*7 }}"
QUOTED_URL = 'https://evil.example/review"><script>alert(2)</script>'
MARK = "mark.jansen@acme-installatie.example"
SANNE = "sanne.devries@acme-installatie.example"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (key, title, text, url, author, source, published, first seen, sentiment, score, queries)
MENTIONS: list[tuple[str, str | None, str, str | None, str | None, str, str | None, str,
                     str, float, tuple[str, ...]]] = [
    ("prize", "Acme Installatietechniek wint duurzaamheidsprijs", "De jury noemt Acme een "
     "voorbeeld voor de regio.", "https://vakblad-installatie.example/nieuws/acme-prijs",
     "Vakblad Installatie", "google-alerts", "2026-11-24T08:30", "2026-11-24T09:00",
     "positive", 0.82, ("brand",)),
    ("quiet", "Warmtepomp van Acme: stil en zuinig", "Sinds oktober een warmtepomp van Acme, "
     "heel tevreden.", "https://forum.example/t/acme-warmtepomp", "Joris", "forum",
     "2026-11-10T19:00", "2026-11-10T19:02", "positive", 0.64, ("warmtepomp", "brand")),
    ("waiting", "Klachten over wachttijden bij Acme klantenservice", "Al drie dagen wachten "
     "op Acme, niemand neemt op.", "https://consumentenforum.example/topic/acme-wachttijd",
     "boze_klant", "google-alerts", "2026-11-26T11:12", "2026-11-26T11:14", "negative", -0.71,
     ("brand", "storing")),
    ("xss", XSS_TITLE, XSS_TEXT, XSS_URL, XSS_AUTHOR, "google-alerts", "2026-11-15T14:00",
     "2026-11-15T14:01", "negative", -0.9, ("brand",)),
    ("rival", "Warmtewerk introduceert onderhoudsabonnement", "Warmtewerk biedt nu een "
     "abonnement.", "https://warmtewerk.example/blog/onderhoud", "Marketing Warmtewerk",
     "warmtewerk-blog", "2026-11-25T13:00", "2026-11-25T13:10", "neutral", 0.0,
     ("warmtewerk",)),
    ("rival-praise", "Warmtewerk opent vestiging in Nijmegen", "Goed nieuws voor Nijmegen.",
     "https://regionaalnieuws.example/warmtewerk-nijmegen", None, "regionaal-nieuws",
     "2026-11-05T10:00", "2026-11-05T10:30", "positive", 0.9, ("warmtewerk",)),
    ("ceo", "Pieter Bakker over de installatiebranche", "Interview met Pieter Bakker.",
     "https://regionaalnieuws.example/interview-bakker", None, "regionaal-nieuws",
     "2026-11-18T07:00", "2026-11-18T07:30", "neutral", 0.05, ("ceo",)),
    # 23:30 UTC on 31 October is 00:30 on 1 November in Amsterdam: a November mention.
    ("boundary", "Acme zoekt monteurs in de regio", "Acme breidt uit.", None, None, "feed",
     "2026-10-31T23:30", "2026-11-01T06:00", "neutral", 0.0, ("brand",)),
    # No publication date: it counts on the day smo first saw it.
    ("unpublished", None, "Top service van Acme vandaag, de monteur was keurig op tijd en "
     "legde alles rustig uit.", "https://mastodon.example/@klant/1", "@klant@mastodon.example",
     "mastodon", None, "2026-11-20T09:00", "positive", 0.3, ("brand",)),
    ("october", "Acme storing in Arnhem", "Storing bij Acme.", "https://x.example/1", None,
     "feed", "2026-10-15T09:00", "2026-10-15T09:05", "negative", -0.4, ("brand", "storing")),
    ("quoted", "Review: Acme *echt* de beste [5/5]", "Echt de beste installateur.", QUOTED_URL,
     "reviewer", "reviews", "2026-11-12T12:00", "2026-11-12T12:05", "positive", 0.7,
     ("brand",)),
    ("quote-request", "Offerte aangevraagd, nog geen reactie van Acme", "Wie weet meer?",
     "https://forum.example/t/offerte", "wachtende", "forum", "2026-11-27T10:00",
     "2026-11-27T10:01", "neutral", -0.05, ("brand",)),
]

# (mention, department, person, type, priority, state, created, due, responded, tags)
ASSIGNMENTS: list[tuple[str, str | None, str | None, str, str, str, str, str | None,
                        str | None, list[str]]] = [
    ("xss", "directie", None, "crisis", "critical", "assigned", "2026-11-15T14:05",
     "2026-11-15T15:05", None, ["crisis"]),
    ("waiting", None, SANNE, "complaint", "high", "assigned", "2026-11-26T11:15",
     "2026-11-27T11:15", None, []),
    ("prize", "marketing", None, "praise", "low", "closed", "2026-11-24T08:35", None, None,
     ["praise"]),
    ("rival", "sales", None, "other", "low", "new", "2026-11-25T13:15", None, None, []),
    ("quiet", "sales", None, "lead", "high", "responded", "2026-11-10T19:05",
     "2026-11-11T11:30", "2026-11-11T09:00", ["warmtepomp", "offerte"]),
    # Friday morning to Monday morning: the weekend is not business time.
    ("unpublished", "sales", None, "question", "medium", "responded", "2026-11-20T09:05",
     "2026-11-20T16:05", "2026-11-23T08:00", ["offerte"]),
    ("quote-request", "sales", MARK, "question", "high", "assigned", "2026-11-27T10:05",
     "2026-11-27T14:05", None, ["offerte"]),
    ("october", None, SANNE, "complaint", "high", "responded", "2026-10-15T09:10",
     "2026-10-15T17:10", "2026-10-15T11:10", []),
    ("quoted", "marketing", None, "praise", "low", "new", "2026-11-12T12:10", None, None,
     ["praise"]),
]


def _records(session: Session) -> None:
    ids: dict[str, int] = {}
    for (key, title, text, url, author, source, published, seen, sentiment, score,
         queries) in MENTIONS:
        mention = Mention(source_name=source, dedup_key=f"test:{key}", url=url, author=author,
                          title=title, text=text, lang="nl", sentiment=sentiment,
                          sentiment_score=score, content_hash=key,
                          published_at=at(published) if published else None,
                          first_seen_at=at(seen), routed_at=at(seen))
        session.add(mention)
        session.flush()
        ids[key] = mention.id or 0
        session.add_all([MentionQuery(mention_id=ids[key], query_name=q) for q in queries])
    for (key, department, person, kind, priority, state, created, due, responded,
         tags) in ASSIGNMENTS:
        session.add(Assignment(
            mention_id=ids[key], rule_id=kind, department=department, person=person,
            type=kind, priority=priority, state=state, tags=tags, created_at=at(created),
            sla_due_at=at(due) if due else None,
            responded_at=at(responded) if responded else None,
            responded_by=SANNE if responded else None,
            closed_at=at(created) + timedelta(hours=1) if state == "closed" else None))
    # One spike alert to two contacts: one alert.
    for index, recipient in enumerate(("directie@acme-installatie.example", SANNE)):
        session.add(OutboxMessage(
            key=f"smo-alert-negative-mentions-1763215200-{index}", channel="files",
            delivery="alert", recipients=[recipient], state="sent",
            created_at=at("2026-11-15T14:30"), sent_at=at("2026-11-15T14:30"),
            payload={"subject": "ALARM: piek in negatieve meldingen: 6 in 60 min",
                     "text": "..."}))
    session.add_all([
        ListenRun(started_at=at("2026-11-30T20:59"), finished_at=at("2026-11-30T21:00"),
                  status="ok", new=4),
        ListenRun(started_at=at("2026-12-01T05:59"), finished_at=at("2026-12-01T06:00"),
                  status="failed", errors=3),
        PracticeEntry(logged_on=date(2026, 11, 12), text="Een klantvraag beantwoord met een "
                      "video van 30 seconden", tags=["video"], outcome="Drie keer zoveel "
                      "reacties als gewoonlijk"),
        PracticeEntry(logged_on=date(2026, 10, 20), text="Oktober: niet in november"),
        LearningGoal(text="Bluesky custom feeds leren", target_date=date(2026, 11, 30),
                     done_on=date(2026, 11, 20), created_at=at("2026-11-03T10:00")),
        LearningGoal(text="LinkedIn-nieuwsbrief opzetten", target_date=date(2027, 1, 31),
                     created_at=at("2026-11-25T10:00")),
        LearningGoal(text="Oud doel", created_at=at("2026-09-01T10:00")),
        CostEntry(spent_on=date(2026, 11, 30), category="hours",
                  description="Community management", hours=12, rate=45, amount=540),
        CostEntry(spent_on=date(2026, 11, 1), category="tools", description="Planningstool",
                  amount=49),
        ValueEntry(gained_on=date(2026, 11, 20), category="leads",
                   description="Offertes via Instagram", quantity=2, unit_value=400,
                   amount=800),
        PolicyVersion(number=1, lang="nl", content_hash="0" * 64, content="beleid",
                      published_at=at("2026-10-15T10:00")),
    ])
    people = ("pieter.bakker", "ingrid.deboer", MARK.split("@")[0], "jan.jansen",
              SANNE.split("@")[0], "linda.visser")
    for name in people:
        session.add(PolicyAck(email=f"{name}@acme-installatie.example", lang="nl", version=1,
                              acknowledged_on=date(2026, 11, 5), source="test"))
    for name in people[:4]:
        session.add(TrainingCompletion(course="basis", email=f"{name}@acme-installatie.example",
                                       completed_on=date(2026, 11, 10)))


@pytest.fixture
def acme(run: Run, workspace: Path) -> Run:
    """Acme's people, accounts, queries, rules, courses and survey, and a fixed November."""
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv")),
                 ("inventory", "target", "import", str(EXAMPLES / "targets.csv")),
                 ("queries", "import", str(EXAMPLES / "queries.yaml")),
                 ("awareness", "survey", "new", str(EXAMPLES / "survey.yaml")),
                 ("awareness", "survey", "import", "nulmeting-2026",
                  str(EXAMPLES / "survey-responses.csv"))):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
    for name in ("rules.yaml", "training.yaml"):
        shutil.copy(EXAMPLES / name, workspace / name)
    engine = make_engine(load_workspace(workspace).database_url)
    with transaction(engine) as session:
        _records(session)
    engine.dispose()
    return run


def make(workspace: Path, kind: str, *, lang: str, fmt: str = "md", period: str = PERIOD,
         key: str = "sales", now: datetime = NOW) -> Any:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        with reading(engine) as session:
            report = (executive_report(session, ws, parse_period(period), lang=lang, now=now)
                      if kind == "executive" else
                      department_report(session, ws, key, parse_period(period), lang=lang,
                                        now=now))
        return render_report(report, ws, fmt)
    finally:
        engine.dispose()


def _golden(name: str, document: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("SMO_UPDATE_GOLDEN"):
        golden.write_text(document, encoding="utf-8")
    assert document == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_executive_report_matches_golden_file(acme: Run, workspace: Path, lang: str) -> None:
    _golden(f"report.executive.{lang}.md", make(workspace, "executive", lang=lang))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_department_report_matches_golden_file(acme: Run, workspace: Path, lang: str) -> None:
    _golden(f"report.department.{lang}.md", make(workspace, "department", lang=lang))


def test_executive_report_states_periods_sources_and_formulas(acme: Run,
                                                               workspace: Path) -> None:
    document = make(workspace, "executive", lang="en")
    assert "**November 2026** (2026-11-01 to 2026-11-30)" in document
    for heading in ("Headline KPIs (2026-11)", "Share of voice and sentiment (2026-11)",
                    "Response times and SLA (2026-11)", "Return on investment (2026-11)",
                    "Programme maturity (2026-11)", "Top risks and spikes (2026-11)",
                    "Best stories (2026-11)", "What I tried and learned (2026-11)"):
        assert f"## {heading}" in document
    assert "No kpis.yaml yet: the built-in headline metrics, without targets." in document
    formulas = document.split("## Formulas", 1)[1]
    assert "(value − cost) ÷ cost × 100" in formulas
    assert formulas.count("\n1. ") == 1 and "**Share of voice**" in formulas
    # The November report: practice and goals of November only; the alert once.
    assert "Drie keer zoveel reacties" in document and "Oktober: niet in november" not in document
    assert "met on 2026-11-20: Bluesky custom feeds leren" in document
    assert "Oud doel" not in document
    assert "- Spike alerts: 1\n" in document
    # Risks and stories are about us: the competitor's good news is not Acme's best story.
    assert "Warmtewerk opent vestiging" not in document
    assert "- Crisis or critical inbox items: 1\n" in document
    # Monitoring ran 11 hours before: no warning, but the later failure is named.
    assert "Warning" not in document
    assert "Listening last ran successfully on 2026-11-30 22:00." in document
    assert "A later run failed on 2026-12-01 07:00." in document


def test_stale_monitoring_is_a_warning(acme: Run, workspace: Path) -> None:
    later = NOW + timedelta(days=3)
    english = make(workspace, "executive", lang="en", now=later)
    assert "> **Warning:** monitoring last ran successfully on 2026-11-30 22:00, more than a " \
           "day before this report" in english
    dutch = make(workspace, "executive", lang="nl", now=later)
    assert "> **Let op:** de monitoring draaide het laatst met succes op 2026-11-30 22:00" in dutch


def test_kpis_yaml_puts_targets_and_status_in_the_headline(acme: Run, workspace: Path) -> None:
    (workspace / "kpis.yaml").write_text(
        "kpis:\n"
        "  - {key: sov, name: Share of voice tegen Warmtewerk, metric: share_of_voice,\n"
        "     target: 65, owner: sanne.devries@acme-installatie.example}\n"
        "  - {key: volume, name: Vermeldingen, metric: mention_volume, target: 5}\n",
        encoding="utf-8")
    document = make(workspace, "executive", lang="en")
    headline = document.split("## Headline KPIs (2026-11)", 1)[1].split("\n## ", 1)[0]
    assert "No kpis.yaml" not in headline
    assert "| Share of voice tegen Warmtewerk [1] |" in headline
    assert "| 65% |" in headline
    assert "| Vermeldingen [2] |" in headline


def test_an_empty_period_reports_no_data_without_failing(acme: Run, workspace: Path) -> None:
    for lang in ("nl", "en"):
        document = make(workspace, "executive", lang=lang, period="2025-03",
                        now=datetime(2025, 4, 1, 8, tzinfo=UTC))
        assert "2025-03" in document
    english = make(workspace, "executive", lang="en", period="2025-03",
                   now=datetime(2025, 4, 1, 8, tzinfo=UTC))
    assert "- Crisis or critical inbox items: 0" in english
    assert "- Nothing in the practice log for this period." in english
    assert "Listening has never run successfully." in english      # nothing before that `now`
    department = make(workspace, "department", lang="en", period="2025-03",
                      now=datetime(2025, 4, 1, 8, tzinfo=UTC))
    assert "Nothing was routed to Verkoop in this period." in department


def test_department_report_counts_what_was_routed_and_what_is_overdue(acme: Run,
                                                                      workspace: Path) -> None:
    document = make(workspace, "department", lang="en")
    assert "Inbox items routed to Verkoop: 4." in document
    assert "Open items: 2, of which overdue: 1" in document
    assert "2026-11-27 15:05 **overdue**" in document
    themes = document.split("## Themes (2026-11)", 1)[1].split("\n## ", 1)[0]
    assert "| offerte | 3 |" in themes and "| warmtepomp | 1 |" in themes
    assert "| competitor | 1 |" in themes and "| brand | 3 |" in themes
    assert "| lead | 1 |" in themes and "| question | 2 |" in themes


def test_cli_writes_the_report_and_names_bad_input_in_one_line(acme: Run,
                                                               tmp_path: Path) -> None:
    shown = acme("report", "executive", "--period", PERIOD, "--lang", "en")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("# Social media executive report — Acme")
    out = tmp_path / "verkoop.html"
    written = acme("report", "department", "sales", "--period", PERIOD, "-o", str(out))
    assert written.exit_code == 0 and f"Wrote {out}." in written.stderr
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    for args, code, message in (
            (("department", "warehouse", "--period", PERIOD), 5,
             "error: unknown department 'warehouse' — departments: directie, sales, "),
            (("executive", "--period", "November"), 5,
             "error: period 'November' is not a month, quarter or year — write 2026-11"),
            (("executive", "--period", "2026-13"), 5, "error: period '2026-13'"),
            (("executive", "--period", PERIOD, "--lang", "de"), 5,
             "error: unknown language 'de' — use nl or en"),
            (("executive", "--period", PERIOD, "-f", "docx"), 2, "error: unknown format"),
            (("executive", "--period", PERIOD, "-f", "pdf"), 2, "error: a PDF needs a file"),
            (("executive", "--period", PERIOD, "--dry-run"), 2,
             "error: --dry-run goes with --send")):
        result = acme("report", *args)
        assert result.exit_code == code, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(message), \
            result.stderr


def test_report_help_lists_both_reports(run: Run) -> None:
    result = run("report", "--help")
    assert result.exit_code == 0
    assert "executive" in result.stdout and "department" in result.stdout
    assert "--send" in run("report", "executive", "--help").stdout
