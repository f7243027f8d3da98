"""`smo kpi` from the command line: kpis.yaml errors with file and key, manual values (record,
import with line and column errors, all or nothing), the report as JSON (keys pinned), table,
Markdown and inert HTML, costs, value, and ROI with every input; advertising value equivalents
are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.models import KpiRecord, Mention, MentionQuery, SavedQuery
from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
KPIS = """kpis:
  - key: leads
    name: Leads from social media
    target: 6
    direction: up
    owner: dept:sales
  - key: sov
    name: Share of voice
    metric: share_of_voice
    target: 60
    period: quarter
"""
ROW_KEYS = ["key", "name", "metric", "unit", "owner", "target", "target_note", "direction",
            "status", "actual", "previous", "trend"]
MEASUREMENT_KEYS = ["period", "start", "end", "value", "unit", "formula", "inputs", "note"]


@pytest.fixture
def kpis(run: Run, workspace: Path) -> Run:
    (workspace / "kpis.yaml").write_text(KPIS)
    return run


def _records(workspace: Path) -> list[tuple[str, str, float]]:
    engine = make_engine(load_workspace(workspace).database_url)
    try:
        with reading(engine) as session:
            return [(r.key, r.recorded_on.isoformat(), r.value) for r in session.exec(
                select(KpiRecord).order_by(col(KpiRecord.recorded_on)))]
    finally:
        engine.dispose()


def test_the_acme_example_kpis_load(run: Run, workspace: Path) -> None:
    (workspace / "kpis.yaml").write_text((EXAMPLES / "kpis.yaml").read_text())
    rows = run("kpi", "list", "-f", "json").json()
    assert len(rows) == 12 and {r["kind"] for r in rows} == {"built-in", "manual"}


def test_list_metrics_shows_every_formula(run: Run) -> None:
    rows = run("kpi", "list", "--metrics", "-f", "json").json()
    assert len(rows) == 16 and all(r["formula"] for r in rows)


@pytest.mark.parametrize(("text", "expected"), [
    ("kpis:\n  - {key: a, name: A, targt: 3}\n", "kpis[0].targt: unknown key (check the spelling)"),
    ("kpis:\n  - {key: a, name: A, metric: within_sla, target: 120}\n",
     "kpis[0].target: 120 is out of range: a percent value is between 0 and 100"),
    ("kpis:\n  - {key: a, name: A, metric: first_response_median, direction: up}\n",
     "kpis[0].direction: up, but first_response_median is better when it goes down"),
    ("kpis:\n  - {key: a, name: A, metric: share_of_voise}\n",
     "kpis[0].metric: 'share_of_voise' is not a built-in metric; did you mean "
     "'share_of_voice'? (any other key is a manual metric)"),
    ("kpis:\n  - {key: a, name: A, target: 5}\n", "kpis[0].direction: no direction: write up or "
                                                  "down"),
    ("kpis:\n  - {key: a, name: A}\n  - {key: a, name: B}\n", "kpis[1].key: 'a' is used twice"),
    ("kpis:\n  - {key: a, name: A, period: week}\n",
     "kpis[0].period: Input should be 'month', 'quarter' or 'year'"),
    ("kpis:\n  - {key: a, name: A, owner: 'dept:nope'}\n",
     "kpis[0].owner: unknown department 'nope'"),
])
def test_kpis_yaml_errors_name_the_file_and_key(run: Run, workspace: Path, text: str,
                                                expected: str) -> None:
    (workspace / "kpis.yaml").write_text(text)
    result = run("kpi", "report", "--period", "2026-10")
    assert result.exit_code == 5
    assert result.stderr.splitlines() == [f"error: {workspace / 'kpis.yaml'}: {expected}"]


def test_without_kpis_yaml_the_report_says_how_to_start(run: Run) -> None:
    result = run("kpi", "report")
    assert result.exit_code == 3 and "kpis.yaml" in result.stderr


def test_record_replaces_a_days_value_and_refuses_built_in_keys(kpis: Run,
                                                                workspace: Path) -> None:
    assert kpis("kpi", "record", "leads", "4", "--date", "2026-10-05").stdout == \
        "leads 4 on 2026-10-05: created.\n"
    assert kpis("kpi", "record", "leads", "5", "--date", "05-10-2026",
                "--note", "CRM").stdout == "leads 5 on 2026-10-05: updated.\n"
    assert _records(workspace) == [("leads", "2026-10-05", 5.0)]
    result = kpis("kpi", "record", "share_of_voice", "50")
    assert result.exit_code == 5
    assert "built-in metric: smo measures it" in result.stderr
    result = kpis("kpi", "record", "leeds", "5")
    assert result.exit_code == 5 and "'leeds' is not a manual metric" in result.stderr


def test_import_is_all_or_nothing_and_names_line_and_column(kpis: Run, workspace: Path,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "values.csv"
    path.write_text("key;datum;waarde\nleads;2026-10-31;4\nleads;2026-11-30;veel\n")
    result = kpis("kpi", "import", str(path))
    assert result.exit_code == 5
    assert result.stderr.splitlines() == [
        f"error: {path}: line 3, column value: 'veel' is not a number — write it without "
        "thousands separators: 1250 or 12,5; nothing was imported; fix the row and run again"]
    assert _records(workspace) == []
    path.write_text("key,date,value\nleads,2026-10-31,4\nleads,31-10-2026,5\n")
    assert "line 3, column date: leads on 2026-10-31 is also on line 2" in kpis(
        "kpi", "import", str(path)).stderr
    path.write_text("key,date,value\nleads,2026-10-31,4\nshare_of_voice,2026-10-31,3\n")
    assert ("line 3, column key: share_of_voice is a built-in metric: smo measures it, it "
            "cannot be recorded") in kpis("kpi", "import", str(path)).stderr
    for grouped in ("1.250", '"1,250"'):      # English and Dutch read these 1000x apart
        path.write_text(f"key,date,value\nleads,2026-10-31,{grouped}\n")
        assert "line 2, column value:" in kpis("kpi", "import", str(path)).stderr
    assert _records(workspace) == []
    path.write_text("key,date,value\nleads,2999-01-01,4\n")
    assert "line 2, column date: 2999-01-01 is in the future" in kpis(
        "kpi", "import", str(path)).stderr
    path.write_text("key,date,value,note\nleads,2026-09-30,\"4,5\",CRM\n"
                    "leads,2026-10-31,6,\n")
    assert kpis("kpi", "import", str(path)).stdout == \
        "Imported values.csv: 2 created, 0 updated, 0 unchanged.\n"
    assert _records(workspace) == [("leads", "2026-09-30", 4.5), ("leads", "2026-10-31", 6.0)]


def _mentions(workspace: Path) -> None:
    engine = make_engine(load_workspace(workspace).database_url)
    with transaction(engine) as session:
        session.add(SavedQuery(name="brand", group="brand", text="acme"))
        for number, day in enumerate((5, 6, 7)):
            mention = Mention(source_name="t", dedup_key=f"k{number}", content_hash="h",
                              text="<script>alert(1)</script>", sentiment="positive",
                              published_at=datetime(2026, 10, day, 10, tzinfo=UTC))
            session.add(mention)
            session.flush()
            session.add(MentionQuery(mention_id=mention.id or 0, query_name="brand"))
    engine.dispose()


def test_report_json_has_pinned_keys_and_states_formula_and_period(kpis: Run,
                                                                   workspace: Path) -> None:
    _mentions(workspace)
    kpis("kpi", "record", "leads", "4", "--date", "2026-10-05")
    kpis("kpi", "record", "leads", "7", "--date", "2026-10-30")
    document = kpis("kpi", "report", "--period", "2026-10", "-f", "json", "--lang", "en").json()
    assert list(document) == ["period", "start", "end", "department", "kpis"]
    assert (document["period"], document["start"], document["end"]) == (
        "2026-10", "2026-10-01", "2026-10-31")
    leads, sov = document["kpis"]
    assert list(leads) == ROW_KEYS and list(leads["actual"]) == MEASUREMENT_KEYS
    assert (leads["actual"]["value"], leads["status"], leads["previous"]["value"]) == (
        7, "met", None)
    assert leads["actual"]["note"] == "recorded on 2026-10-30"
    assert leads["trend"] == [None, None, None, None, None, 7]
    assert (sov["actual"]["value"], sov["status"], sov["unit"]) == (100, "met", "percent")
    assert sov["actual"]["inputs"] == {"ours": 3, "competitors": 0}
    assert sov["actual"]["formula"].startswith("mentions of our own queries")


def test_report_table_has_a_sparkline_and_footnotes(kpis: Run, workspace: Path) -> None:
    _mentions(workspace)
    out = kpis("kpi", "report", "--period", "2026-10", "--lang", "en").stdout
    assert "KPIs 2026-10" in out and "▄" in out
    assert "[2] share_of_voice: mentions of our own queries" in out
    assert "period 2026-10 (2026-10-01 to 2026-10-31); inputs: ours 3, competitors 0; no " \
           "competitor mentions in the period: 100%." in out


def test_report_html_is_standalone_and_inert(kpis: Run, workspace: Path, tmp_path: Path) -> None:
    (workspace / "kpis.yaml").write_text(KPIS.replace("Share of voice",
                                                      "'<img src=x onerror=alert(1)>'"))
    out = tmp_path / "kpi.html"
    assert kpis("kpi", "report", "--period", "2026-Q4", "-f", "html", "-o", str(out)
                ).exit_code == 0
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    markdown = kpis("kpi", "report", "--period", "2026-Q4", "-f", "md").stdout
    assert markdown.startswith("# KPI's Acme Installatietechniek 2026-Q4")


def test_an_unknown_department_is_refused(kpis: Run) -> None:
    result = kpis("kpi", "report", "--dept", "nope")
    assert result.exit_code == 5 and "unknown department 'nope'" in result.stderr


def test_costs_value_and_roi(run: Run) -> None:
    assert run("kpi", "cost", "add", "--category", "hours", "--hours", "10", "--rate", "50",
               "--description", "posts", "--date", "2026-11-03").stdout == \
        "Cost 1: hours 500.00 on 2026-11-03.\n"
    run("kpi", "cost", "add", "-c", "tools", "--amount", "100", "--description", "scheduler",
        "--date", "2026-11-04", "--dept", "marketing")
    run("kpi", "value", "add", "-c", "leads", "--quantity", "4", "--unit-value", "250",
        "--description", "CRM", "--date", "2026-11-20")
    costs = run("kpi", "cost", "list", "--period", "2026-11", "-f", "json").json()
    assert [(c["category"], c["amount"], c["department"]) for c in costs] == [
        ("hours", 500.0, None), ("tools", 100.0, "marketing")]
    result = run("kpi", "roi", "--period", "2026-11", "-f", "json").json()
    assert list(result) == ["period", "start", "end", "department", "costs", "value",
                            "total_cost", "total_value", "roi_percent", "formula", "inputs"]
    assert (result["total_cost"], result["total_value"]) == (600, 1000)
    assert result["roi_percent"] == pytest.approx(66.7, abs=0.05)
    table = run("kpi", "roi", "--period", "2026-11").stdout
    assert "(1,000.00 \u2212 600.00) ÷ 600.00 \u00d7 100 = 66.7%" in table


@pytest.mark.parametrize("args", [
    ("-c", "hours", "--amount", "10"), ("-c", "tools", "--hours", "2", "--rate", "5"),
    ("-c", "coffee", "--amount", "3"), ("-c", "tools", "--amount", "-3")])
def test_a_cost_needs_the_right_inputs(run: Run, args: tuple[str, ...]) -> None:
    result = run("kpi", "cost", "add", *args, "--description", "x")
    assert result.exit_code in (2, 5) and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("category", ["ave", "advertising value equivalent", "reach"])
def test_advertising_value_equivalents_are_refused(run: Run, category: str) -> None:
    result = run("kpi", "value", "add", "-c", category, "--amount", "5000",
                 "--description", "coverage")
    assert result.exit_code == 5
    assert result.stderr.splitlines() == [
        f"error: {category!r} is not a value category: advertising value equivalents are not "
        "counted as value: they price attention as if it were bought advertising, not what "
        "social media brought in; record leads, conversions or savings"]
    assert run("kpi", "value", "list", "-f", "json").json() == []


def test_json_of_an_empty_list_is_an_empty_array(run: Run) -> None:
    assert json.loads(run("kpi", "cost", "list", "-f", "json").stdout) == []


def test_json_keys_of_the_kpi_lists_are_pinned(kpis: Run) -> None:
    assert [list(row) for row in kpis("kpi", "list", "-f", "json").json()] == [
        ["key", "name", "metric", "kind", "unit", "target", "direction", "period", "owner",
         "formula"]] * 2
    kpis("kpi", "cost", "add", "-c", "agency", "--amount", "900", "--description", "video",
         "--date", "2026-10-01")
    kpis("kpi", "value", "add", "-c", "savings", "--amount", "300", "--description", "calls",
         "--date", "2026-10-01")
    assert list(kpis("kpi", "cost", "list", "-f", "json").json()[0]) == [
        "id", "spent_on", "category", "description", "hours", "rate", "amount", "department"]
    assert list(kpis("kpi", "value", "list", "-f", "json").json()[0]) == [
        "id", "gained_on", "category", "description", "quantity", "unit_value", "amount",
        "department"]
