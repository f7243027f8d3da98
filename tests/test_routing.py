"""Routing: rules.yaml, lint, test and explain, routing into the inbox once, and the inbox."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smo_cli.config import load_settings, load_workspace
from smo_cli.db.engine import make_engine, reading
from smo_cli.services.business_hours import due_at
from smo_cli.services.inbox import InboxFilter, list_items
from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"


@pytest.fixture
def routed(run: Run, workspace: Path, tmp_path: Path) -> Run:
    shutil.copy(EXAMPLES / "rules.yaml", workspace / "rules.yaml")
    assert run("org", "people", "import", str(EXAMPLES / "employees.csv")).exit_code == 0
    assert run("queries", "import", str(EXAMPLES / "queries.yaml")).exit_code == 0
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"text": "Al drie dagen storing bij Acme, de warmtepomp werkt niet", '
        '"url": "https://x.example/1", "date": "2026-11-27T10:00:00Z"}\n'
        '{"text": "Mijn factuur van Acme klopt niet, dubbel afgeschreven", '
        '"url": "https://x.example/2", "date": "2026-11-27T10:05:00Z"}\n'
        '{"text": "Top service van Acme, heel blij met de monteur!", '
        '"url": "https://x.example/3", "date": "2026-11-27T10:10:00Z"}\n'
        '{"text": "Mooi weer vandaag", "url": "https://x.example/4"}\n')
    assert run("mentions", "import", str(export), "--source", "export").exit_code == 0
    return run


def test_lint_accepts_the_example_and_names_problems(routed: Run, workspace: Path) -> None:
    assert "9 rules, no errors" in routed("route", "lint").stdout
    bad = (workspace / "rules.yaml").read_text().replace("dept:it", "dept:warehouse").replace(
        "topics: [job]", "topics: [jobs]")
    extra = "  - {id: all, then: {assign: officer}}\n  - {id: late, then: {assign: officer}}\n"
    (workspace / "rules.yaml").write_text(bad.replace("# Everything else", extra + "# Everything"))
    result = routed("route", "lint")
    assert result.exit_code == 5
    assert "rule outage: unknown department 'warehouse'" in result.stderr
    assert "rule job: unknown topic 'jobs'" in result.stderr
    assert "rule late: never reached: rule all before it matches everything" in result.stderr


def test_a_bad_rules_file_names_file_and_key(routed: Run, workspace: Path) -> None:
    (workspace / "rules.yaml").write_text("rules:\n  - id: x\n    then: {assign: officer, "
                                          "priority: urgent}\n")
    result = routed("route", "test", "Acme")
    assert result.exit_code == 5
    assert "rules.yaml: rules[0].then.priority" in result.stderr


def test_route_test_shows_the_rule_and_why(routed: Run) -> None:
    rows = routed("route", "test", "Kan ik een offerte krijgen voor een warmtepomp van Acme?",
                  "-f", "json").json()
    assert [(r["rule"], r["assign"], r["type"]) for r in rows] == [
        ("price-question", "dept:sales", "lead")]
    assert "topic price" in rows[0]["why"]
    crisis = routed("route", "test", "Schandalig, lekkage door Acme en niemand komt, echt boos!",
                    "-f", "json").json()
    assert [r["rule"] for r in crisis] == ["crisis", "complaint"]      # crisis continues
    other = routed("route", "test", "Mooi weer vandaag", "-f", "json").json()
    assert [(r["rule"], r["assign"]) for r in other] == [("default", "officer")]


def test_routing_fills_the_inbox_once_with_sla(routed: Run, workspace: Path) -> None:
    assert routed("mentions", "list", "--unrouted", "-f", "json").json() != []
    first = routed("listen", "route")
    assert "Routed 4 mentions." in first.stdout
    assert "Nothing to route." in routed("listen", "route").stdout
    assert routed("mentions", "list", "--unrouted", "-f", "json").json() == []
    items = {i["rule_id"]: i for i in routed("inbox", "list", "-f", "json").json()}
    assert set(items) == {"outage", "invoice", "praise", "default"}
    assert (items["outage"]["department"], items["outage"]["priority"]) == ("it", "high")
    # The SLA runs from when smo first saw the mention, in business hours (08:30-17:00).
    seen = {m["id"]: m["first_seen_at"] for m in routed("mentions", "list", "-f", "json").json()}
    start = datetime.fromisoformat(seen[items["outage"]["mention_id"]])
    expected = due_at(start, 4, load_settings(workspace / "smo.yaml").business_hours)
    assert items["outage"]["sla_due_at"] == expected.isoformat(timespec="seconds")
    assert items["default"]["person"] == "sanne.devries@acme-installatie.example"
    assert items["default"]["state"] == "assigned"
    explained = routed("route", "explain", str(items["invoice"]["mention_id"]), "-f", "json")
    assert explained.json()[0]["rule"] == "invoice"


def test_inbox_states_and_history(routed: Run) -> None:
    routed("listen", "route")
    item = next(i for i in routed("inbox", "list", "-f", "json").json()
                if i["rule_id"] == "invoice")
    ident = str(item["id"])
    assert routed("inbox", "assign", ident, "--to", "joost.smit@acme-installatie.example",
                  "--by", "sanne.devries@acme-installatie.example").exit_code == 0
    routed("inbox", "note", ident, "Klant gebeld, creditnota volgt")
    routed("inbox", "respond", ident, "--by", "joost.smit@acme-installatie.example")
    routed("inbox", "close", ident)
    shown = routed("inbox", "show", ident, "-f", "json").json()
    assert shown["state"] == "closed"
    assert shown["responded_by"] == "joost.smit@acme-installatie.example"
    actions = [line.split(" ", 2)[1].rstrip(":") for line in shown["history"]]
    assert actions == ["routed", "assigned", "note", "responded", "closed"]
    assert routed("inbox", "close", ident).exit_code == 4
    assert routed("inbox", "respond", ident, "--by", "x@acme.nl").exit_code == 4
    assert routed("inbox", "reopen", ident).exit_code == 0
    assert ident not in {str(i["id"]) for i in routed("inbox", "list", "--state", "closed",
                                                       "-f", "json").json()}


def test_overdue_items_are_flagged_and_snooze_hides_them(routed: Run, workspace: Path) -> None:
    routed("listen", "route")
    later = datetime(2099, 1, 1, tzinfo=UTC)
    engine = make_engine(load_workspace(workspace).database_url)
    try:
        with reading(engine) as session:
            overdue = list_items(session, InboxFilter(overdue=True), now=later)
            assert {i["rule_id"] for i in overdue} == {"outage", "invoice"}   # the ones with SLA
            assert list_items(session, InboxFilter(overdue=True)) == []       # not yet
        outage = next(i for i in overdue if i["rule_id"] == "outage")
        routed("inbox", "snooze", str(outage["id"]), "--until", "2099-06-01")
        with reading(engine) as session:
            still = {i["rule_id"] for i in list_items(session, InboxFilter(overdue=True),
                                                      now=later)}
        assert still == {"invoice"}
    finally:
        engine.dispose()


def test_listen_run_no_route_leaves_mentions_unrouted(routed: Run) -> None:
    assert routed("listen", "run", "--no-route").exit_code == 0
    assert len(routed("mentions", "list", "--unrouted", "-f", "json").json()) == 4
    assert routed("listen", "run").exit_code == 0
    assert routed("mentions", "list", "--unrouted", "-f", "json").json() == []


def test_without_rules_everything_goes_to_the_officer(run: Run, tmp_path: Path) -> None:
    export = tmp_path / "one.jsonl"
    export.write_text('{"text": "Acme", "url": "https://x.example/9"}\n')
    run("mentions", "import", str(export))
    assert "No rules.yaml" in run("route", "lint").stdout
    run("listen", "route")
    (item,) = run("inbox", "list", "-f", "json").json()
    assert (item["rule_id"], item["person"]) == ("default",
                                                 "sanne.devries@acme-installatie.example")
