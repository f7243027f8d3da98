"""`smo strategy`: init drafts answers that check reads back, check tests SMART-ness and every
reference (one exact line per problem), generate writes the strategy with where we stand today
(golden files in both languages, standalone HTML, inert untrusted text, template overrides)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.models import Account, AccountSnapshot, Assignment, Mention, MentionQuery
from smo_cli.services.metrics import METRICS, where_we_stand
from smo_cli.services.strategy import generate_strategy
from smo_cli.services.strategy_check import check_strategy
from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
GOLDEN = Path(__file__).resolve().parent / "golden"
TODAY = date(2026, 11, 27)
Answers = dict[str, Any]


@pytest.fixture
def acme(run: Run, workspace: Path) -> Run:
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv")),
                 ("inventory", "target", "import", str(EXAMPLES / "targets.csv")),
                 ("queries", "import", str(EXAMPLES / "queries.yaml"))):
        assert run(*args).exit_code == 0
    (workspace / "strategy.yaml").write_text((EXAMPLES / "strategy.yaml").read_text())
    return run


@pytest.fixture
def session_of(workspace: Path) -> Iterator[Callable[[], Any]]:
    """Open a writing session on the test workspace's database."""
    engine = make_engine(load_workspace(workspace).database_url)
    yield lambda: transaction(engine)
    engine.dispose()


def _at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _mention(session: Session, key: str, text: str, sentiment: str | None,
             queries: list[str], published: datetime | None,
             seen: datetime | None = None) -> None:
    mention = Mention(source_name="test", dedup_key=key, text=text, content_hash=key,
                      sentiment=sentiment, published_at=published,
                      first_seen_at=seen or published or _at(27))
    session.add(mention)
    session.flush()
    for name in queries:
        session.add(MentionQuery(mention_id=mention.id or 0, query_name=name))


@pytest.fixture
def figures(acme: Run, session_of: Callable[[], Any]) -> Run:
    """Acme with follower counts, mentions in and around the period, and inbox items."""
    with session_of() as session:
        accounts = {a.handle: a.id for a in session.exec(select(Account)).all()}
        for handle, followers in (("company/acme-installatie", 1912), ("@acme_installatie", 2480),
                                  ("@werkenbijacme", 815), ("@acmeinstallatie", 640)):
            session.add(AccountSnapshot(account_id=accounts[handle], checked_at=_at(20),
                                        status="ok", followers=followers))
        for key, text, sentiment, queries, published in (
                ("m1", "Top service van Acme, de warmtepomp draait perfect", "positive",
                 ["brand", "warmtepomp"], _at(20)),
                ("m2", "Acme storing al drie dagen, niemand neemt op", "negative",
                 ["brand", "storing"], _at(21)),
                ("m3", "Acme plaatst zonnepanelen in de wijk", "neutral", ["brand"], _at(2)),
                ("m4", "Warmtewerk opent een vestiging in Ede", "neutral", ["warmtewerk"], _at(5)),
                ("m5", "Blij met Warmtewerk", "positive", ["warmtewerk"], _at(9)),
                ("m10", "Monteur van Warmtewerk weer te laat", "negative", ["warmtewerk"],
                 _at(16)),
                ("m11", "Warmtewerk start winteractie", "neutral", ["warmtewerk"], _at(18)),
                ("m6", "Pieter Bakker over de energietransitie", "positive", ["ceo"], _at(12)),
                ("m7", "Oud nieuws over Acme", "negative", ["brand"], _at(1, month=10)),
                ("m8", "Acme vandaag in de krant", "positive", ["brand"], _at(27, 8))):
            _mention(session, key, text, sentiment, queries, published)
        # No publication date: counted on the day smo found it (late on the 26th, Dutch time).
        _mention(session, "m9", "acme?", None, ["brand"], None, seen=_at(26, 22))
        ids = {m.dedup_key: m.id or 0 for m in session.exec(select(Mention)).all()}
        session.add(Assignment(mention_id=ids["m2"], rule_id="outage", department="it",
                               state="new", sla_due_at=_at(21, 14)))
        session.add(Assignment(mention_id=ids["m1"], rule_id="praise", department="marketing",
                               state="assigned", sla_due_at=_at(30)))
        session.add(Assignment(mention_id=ids["m3"], rule_id="praise", department="marketing",
                               state="closed"))
    return acme


def _answers(workspace: Path) -> Answers:
    loaded: Answers = yaml.safe_load((workspace / "strategy.yaml").read_text())
    return loaded


def _save(workspace: Path, answers: Answers) -> None:
    (workspace / "strategy.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))


def _problems(workspace: Path, today: date = TODAY) -> list[str]:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        with reading(engine) as session:
            return check_strategy(session, ws, today=today)
    finally:
        engine.dispose()


def _generate(workspace: Path, lang: str, fmt: str = "md") -> str:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        with reading(engine) as session:
            document = generate_strategy(session, ws, lang=lang, fmt=fmt, today=TODAY)
    finally:
        engine.dispose()
    assert isinstance(document, str)
    return document


# -- init ------------------------------------------------------------------------------------

def test_init_writes_a_draft_that_check_reads(run: Run, workspace: Path) -> None:
    result = run("strategy", "init", "--lang", "nl")
    assert result.exit_code == 0, result.stderr
    answers = _answers(workspace)
    assert answers["vision"] and answers["objectives"] and answers["risks"]
    assert {o["metric"] for o in answers["objectives"]} <= set(METRICS)
    assert run("strategy", "init").exit_code == 4            # not over the officer's answers
    assert run("strategy", "init", "--force", "--lang", "en").exit_code == 0
    assert _answers(workspace)["audiences"][0]["key"] == "customers"
    check = run("strategy", "check")
    assert check.exit_code == 5
    path = workspace / "strategy.yaml"
    lines = check.stderr.splitlines()
    assert f"{path}: objectives[0].baseline: no answer yet" in lines
    assert f"{path}: resources.budget[0].amount: no answer yet" in lines
    assert f"{path}: listening: no answer yet" in lines        # no saved queries yet
    assert (f"{path}: channels[0].platform: linkedin has no inventory target for company "
            "(smo inventory target set linkedin --owner company --required should)") in lines


def test_init_drafts_channels_and_listening_from_inventory_and_queries(
        acme: Run, workspace: Path) -> None:
    assert acme("strategy", "init", "--force").exit_code == 0
    answers = _answers(workspace)
    planned = [(c["platform"], c["owner"]) for c in answers["channels"]]
    assert planned[0] == ("linkedin", "company")              # the company's must comes first
    assert set(planned) == {("linkedin", "company"), ("instagram", "company"),
                            ("youtube", "company"), ("bluesky", "company"),
                            ("instagram", "dept:hr"), ("linkedin", "dept:sales")}
    assert [t["query"] for t in answers["listening"]] == [
        "brand", "storing", "warmtepomp", "ceo", "warmtewerk"]
    assert answers["approver"] == "pieter.bakker@acme-installatie.example"
    # What is left for the officer: numbers and the departments' own channel roles, nothing else.
    for line in _problems(workspace):
        assert line.endswith("no answer yet") or "a placeholder is left" in line, line


# -- check -----------------------------------------------------------------------------------

def test_example_strategy_passes_check(acme: Run, workspace: Path) -> None:
    assert _problems(workspace) == []
    # Through the CLI, with deadlines moved beyond whatever today is when the test runs.
    answers = _answers(workspace)
    for objective in answers["objectives"]:
        objective["deadline"] = date.today() + timedelta(days=400)
    _save(workspace, answers)
    result = acme("strategy", "check")
    assert result.exit_code == 0, result.stderr
    assert "every objective is SMART" in result.stdout


def _set(path: str, value: Any) -> Callable[[Answers], None]:
    """A change to the answers at a dotted key path (`objectives.1.deadline`)."""
    def change(answers: Answers) -> None:
        *parents, last = path.split(".")
        node: Any = answers
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        elif isinstance(node, list) and last == "+":
            node.append(value)
        else:
            node[int(last) if last.isdigit() else last] = value
    return change


_DELETE = object()
PLATFORMS = ("mastodon, bluesky, linkedin, x, facebook, instagram, youtube, tiktok, threads, "
             "website, blog, other")


@pytest.mark.parametrize(("changes", "expected"), [
    ([_set("objectives.0.metric", "leads")],
     ["objectives[0].metric: unknown KPI key 'leads': not a built-in metric, nor declared "
      "under manual_metrics or in kpis.yaml"]),
    ([_set("listening.1.query", "storingen")],
     ["listening[1].query: unknown query 'storingen': not in the database "
      "(see `smo queries list`)"]),
    ([_set("channels.3.platform", "myspace")],
     [f"channels[3].platform: unknown platform 'myspace' (known: {PLATFORMS})",
      "channels: the inventory target bluesky for company (should) has no channel in the "
      "strategy"]),
    ([_set("channels.+", {"platform": "facebook", "role": "Buurt", "why": "Klanten",
                          "cadence": {"posts": 1, "per": "week"}})],
     ["channels[6].platform: facebook has no inventory target for company "
      "(smo inventory target set facebook --owner company --required should)"]),
    ([_set("channels.+", {"platform": "x", "role": "Nieuws", "why": "Pers",
                          "cadence": {"posts": 1, "per": "week"}})],
     ["channels[6].platform: the inventory target says company must not be on x"]),
    ([_set("channels.4.owner", "dept:werving")],
     ["channels[4].owner: unknown department 'werving'",
      "channels: the inventory target instagram for dept:hr (must) has no channel in the "
      "strategy"]),
    ([_set("objectives.0.owner", "dept:warehouse")],
     ["objectives[0].owner: unknown department 'warehouse'"]),
    ([_set("risks.0.owner", "nobody@nowhere.example")],
     ["risks[0].owner: nobody@nowhere.example is not in the people list"]),
    ([_set("reporting.0.to", ["de baas"])],
     ["reporting[0].to[0]: 'de baas' is not a person's e-mail address or dept:<key>"]),
    ([_set("objectives.1.deadline", date(2025, 1, 1))],
     ["objectives[1].deadline: 2025-01-01 has passed"]),
    ([_set("objectives.3.target", 1850)],
     ["objectives[3].target: 1850 is the same as the baseline: nothing would change"]),
    ([_set("objectives.3.target", 1000)],
     ["objectives[3].target: 1000 is below the baseline 1850, but followers should go up"]),
    ([_set("objectives.0.target", 12)],
     ["objectives[0].target: 12 is above the baseline 9, but first_response_median should "
      "go down"]),
    ([_set("objectives.0.direction", "up")],
     ["objectives[0].direction: up, but first_response_median is better when it goes down"]),
    ([_set("manual_metrics.0.direction", None)],
     ["objectives[1].direction: no direction: write up or down"]),
    ([_set("objectives.4.target", 120)],
     ["objectives[4].target: 120 is out of range: a percent value is between 0 and 100"]),
    ([_set("objectives.0.baseline", "ongeveer 9")],
     ["objectives[0].baseline: 'ongeveer 9' is not a number"]),
    ([_set("objectives.4.audiences", _DELETE)],
     ["objectives[4]: not tied to an audience or a channel: add audiences or channels"]),
    ([_set("objectives.0.audiences", ["bedrijven"])],
     ["objectives[0].audiences[0]: unknown audience 'bedrijven'"]),
    ([_set("objectives.5.channels", ["tiktok"])],
     ["objectives[5].channels[0]: 'tiktok' is not one of the channels of this strategy"]),
    ([_set("content_pillars.0.share", 40)],
     ["content_pillars: the shares add up to 105%, not 100%"]),
    ([_set("manual_metrics.+", {"key": "followers", "name": "Volgers", "unit": "volgers",
                                "direction": "up", "source": "LinkedIn"})],
     ["manual_metrics[2].key: 'followers' is a built-in metric"]),
    ([_set("vision", ""), _set("objectives.0.baseline", None), _set("risks", [])],
     ["vision: no answer yet", "objectives[0].baseline: no answer yet",
      "risks: no answer yet"]),
    ([_set("channels.0.why", "TODO: waarom?")],
     ["channels[0].why: a placeholder is left: 'TODO: waarom?'"]),
], ids=["unknown-kpi", "unknown-query", "unknown-platform", "no-target", "must-not-target",
        "channel-department", "unknown-department", "unknown-owner", "not-a-person",
        "deadline-passed", "target-equals-baseline", "target-wrong-way-up",
        "target-wrong-way-down", "direction-contradicts-metric", "no-direction",
        "out-of-range", "not-a-number", "not-tied", "unknown-audience", "unknown-channel",
        "pillar-shares", "manual-shadows-builtin", "missing-answers", "placeholder"])
def test_check_names_each_problem_on_one_exact_line(
        acme: Run, workspace: Path, changes: list[Callable[[Answers], None]],
        expected: list[str]) -> None:
    answers = _answers(workspace)
    for change in changes:
        change(answers)
    _save(workspace, answers)
    result = acme("strategy", "check")
    assert result.exit_code == 5
    lines = result.stderr.splitlines()
    for line in expected:
        assert f"{workspace / 'strategy.yaml'}: {line}" in lines, result.stderr
    assert sorted(_problems(workspace)) == sorted(
        f"{workspace / 'strategy.yaml'}: {line}" for line in expected)


def test_a_deadline_must_lie_after_today(acme: Run, workspace: Path) -> None:
    answers = _answers(workspace)
    answers["objectives"][1]["deadline"] = TODAY
    _save(workspace, answers)
    assert _problems(workspace) == [f"{workspace / 'strategy.yaml'}: objectives[1].deadline: "
                                    "2026-11-27 is today: give a later date"]
    assert _problems(workspace, today=date(2028, 1, 1)) == [
        f"{workspace / 'strategy.yaml'}: objectives[{i}].deadline: {day} has passed"
        for i, day in ((0, "2027-12-31"), (1, "2026-11-27"), (5, "2027-12-31"))]


def test_a_manual_kpi_may_be_declared_in_kpis_yaml(acme: Run, workspace: Path) -> None:
    answers = _answers(workspace)
    answers["objectives"][0].update(metric="offertes_social", direction="up", baseline=3,
                                    target=6)
    _save(workspace, answers)
    assert _problems(workspace) == [f"{workspace / 'strategy.yaml'}: objectives[0].metric: "
                                    "unknown KPI key 'offertes_social': not a built-in metric, "
                                    "nor declared under manual_metrics or in kpis.yaml"]
    (workspace / "kpis.yaml").write_text("kpis:\n  - key: offertes_social\n    name: Offertes\n")
    assert _problems(workspace) == []


@pytest.mark.parametrize(("extra", "expected"), [
    ("tone_of_voice: hello\n", "tone_of_voice: unknown key (check the spelling)"),
    ("objectives:\n  - goal: x\n    metrc: followers\n",
     "objectives[0].metrc: unknown key (check the spelling)"),
])
def test_an_unknown_key_is_refused_with_file_and_key(acme: Run, workspace: Path, extra: str,
                                                     expected: str) -> None:
    answers = _answers(workspace)
    if extra.startswith("objectives"):
        del answers["objectives"]
    _save(workspace, answers)
    path = workspace / "strategy.yaml"
    path.write_text(path.read_text() + extra)
    for command in ("check", "generate"):
        result = acme("strategy", command)
        assert result.exit_code == 5
        assert result.stderr.splitlines() == [f"error: {path}: {expected}"]


def test_check_and_generate_without_a_strategy_say_how_to_start(run: Run) -> None:
    result = run("strategy", "check")
    assert result.exit_code == 3
    assert "smo strategy init" in result.stderr


# -- where we stand --------------------------------------------------------------------------

def test_where_we_stand_counts_the_30_days_before_today(figures: Run, workspace: Path) -> None:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        with reading(engine) as session:
            standing = where_we_stand(session, ws.settings, today=TODAY)
    finally:
        engine.dispose()
    assert (standing.period_start, standing.period_end) == (date(2026, 10, 28),
                                                            date(2026, 11, 26))
    assert standing.mentions == 9          # not the one of October, nor today's
    assert standing.sentiment == {"positive": 3, "neutral": 3, "negative": 2, "none": 1}
    assert standing.net_sentiment == pytest.approx(100 * (3 - 2) / 8)
    brand = next(g for g in standing.groups if g.group == "brand")
    assert (brand.mentions, brand.positive, brand.negative) == (4, 1, 1)
    assert standing.share_of_voice == pytest.approx(100 * 5 / 9)   # 5 ours, 4 Warmtewerk's
    assert standing.per_query["brand"] == 4 and standing.per_query["warmtewerk"] == 4
    assert (standing.inbox_open, standing.inbox_overdue) == (2, 1)
    assert standing.followers_by_platform == {"linkedin": 1912, "instagram": 3295,
                                              "youtube": 640}
    assert standing.current("followers", ["linkedin"]) == 1912
    assert standing.gaps_open == sum(standing.gaps.values()) > 0


def test_every_builtin_metric_is_described_in_both_languages() -> None:
    assert set(METRICS) == {
        "mention_volume", "share_of_voice", "net_sentiment", "positive_share",
        "first_response_median", "first_response_p90", "within_sla", "response_rate",
        "audience_growth", "followers", "engagement_rate", "posting_cadence",
        "policy_ack_rate", "training_coverage", "awareness_index", "inventory_gaps_open"}
    for metric in METRICS.values():
        assert metric.direction in ("up", "down")
        assert metric.name("nl") and metric.name("en") and metric.formula("nl") != \
            metric.formula("en")


# -- generate --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["nl", "en"])
def test_generated_strategy_matches_golden_file(figures: Run, workspace: Path,
                                                lang: str) -> None:
    document = _generate(workspace, lang)
    golden = GOLDEN / f"strategy.{lang}.md"
    if os.environ.get("SMO_UPDATE_GOLDEN"):
        golden.write_text(document, encoding="utf-8")
    assert document == golden.read_text(encoding="utf-8")


def test_every_figure_states_its_period_or_date_and_source(figures: Run,
                                                           workspace: Path) -> None:
    document = _generate(workspace, "nl")
    assert "Periode: 2026-10-28 tot en met 2026-11-26 (30 dagen). Bron:" in document
    assert "Op 2026-11-27 staan er **2** vermeldingen open in de inbox" in document
    assert "| linkedin | company/acme-installatie | Acme Installatietechniek | 1.912 | " \
           "2026-11-20 |" in document
    assert "Versie: concept van 2026-11-27" in document
    assert "- Nu: 1.912 (zie *Waar we nu staan*, peildatum 2026-11-27)" in document


@pytest.mark.parametrize(("lang", "title"), [("nl", "# Socialemediastrategie — Acme"),
                                             ("en", "# Social media strategy — Acme")])
def test_lang_chooses_the_language(acme: Run, lang: str, title: str) -> None:
    result = acme("strategy", "generate", "--lang", lang)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(title)
    assert acme("strategy", "generate").stdout.startswith("# Socialemediastrategie")  # smo.yaml
    assert acme("strategy", "generate", "--lang", "de").exit_code == 5


def test_html_strategy_is_standalone_and_keeps_untrusted_text_inert(
        figures: Run, workspace: Path, session_of: Callable[[], Any], tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    with session_of() as session:
        session.add(Account(platform="mastodon", handle=f"@{hostile}@evil.example",
                            kind="official"))
        mention = session.exec(select(Mention).where(col(Mention.dedup_key) == "m1")).one()
        mention.text = hostile
    answers = _answers(workspace)
    answers["vision"] = f"{hostile} [klik](javascript:alert(1)) <img src=x onerror=alert(2)>"
    answers["channels"][0]["why"] = "| kolom | erbij"
    _save(workspace, answers)
    out = tmp_path / "strategie.html"
    result = figures("strategy", "generate", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>") and '<html lang="nl">' in page
    assert "<script>" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;" in page
    assert "http" not in page.split("<body>")[0]             # no external assets
    markdown = _generate(workspace, "nl")
    assert "\\| kolom \\| erbij" in markdown                 # a cell stays one cell


def test_a_workspace_template_overrides_the_builtin_one(acme: Run, workspace: Path) -> None:
    override = workspace / "templates" / "strategy" / "nl" / "strategy.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("# Strategie van {{ org.name }}\n\n{% for o in objectives %}"
                        "- {{ o.goal | md }}: {{ o.target }}\n{% endfor %}")
    result = acme("strategy", "generate", "--lang", "nl")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Strategie van Acme Installatietechniek\n")
    assert "- Opdrachtgevers en VvE-besturen bereiken op LinkedIn: 3.000" in result.stdout
    assert acme("strategy", "generate", "--lang", "en").stdout.startswith(
        "# Social media strategy")                            # only the Dutch one overridden
    override.write_text("{{ nonsense.value }}")
    broken = acme("strategy", "generate", "--lang", "nl")
    assert broken.exit_code == 5 and "nonsense" in broken.stderr


def test_init_reads_back_whatever_the_organisation_is_called(run: Run, workspace: Path) -> None:
    config = workspace / "smo.yaml"
    config.write_text(config.read_text().replace(
        "  name: Acme Installatietechniek\n", "  name: 'Acme \"Warmte\": #1 # geen commentaar'\n"))
    assert run("strategy", "init", "--lang", "nl").exit_code == 0
    assert _answers(workspace)["content_pillars"][2]["name"] == (
        'Mensen van Acme "Warmte": #1 # geen commentaar')


def test_strategy_as_pdf(run: Run, workspace: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    (workspace / "strategy.yaml").write_text((EXAMPLES / "strategy.yaml").read_text())
    out = tmp_path / "strategie.pdf"
    result = run("strategy", "generate", "--lang", "nl", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Socialemediastrategie" in text and "Acme" in text
