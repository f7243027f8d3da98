"""`smo awareness status`: reach per department — people, received a campaign, acknowledged the
current policy, trained, latest awareness index and trend — against a fixture counted by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from smo_cli.db.engine import transaction
from smo_cli.db.models import TrainingCompletion
from tests.conftest import Run, workspace_engine

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
DOMAIN = "@acme-installatie.example"
LINDA, SOPHIE = f"linda.visser{DOMAIN}", f"sophie.dekker{DOMAIN}"      # hr
DAAN, PIETER = f"daan.peters{DOMAIN}", f"pieter.bakker{DOMAIN}"        # marketing, directie
BRAM = f"bram.willems{DOMAIN}"                                          # it
QUESTIONS = """\
key: {key}
title: Meting
opened_on: {opened}
questions:
  - {{id: k1, dimension: knowledge, text: Ik weet wie namens ons spreekt.}}
  - {{id: b1, dimension: behaviour, text: Kritiek stuur ik door.}}
"""
TRAINING = """\
courses:
  - {key: basis, title: Sociale media bij Acme, audience: all, duration: 60,
     refresher_months: 24}
"""


def _ok(run: Run, *args: str) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr


def _status(run: Run, *args: str) -> dict[str, dict[str, Any]]:
    result = run("awareness", "status", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return {row["department"]: row for row in result.json()}


def _survey(run: Run, tmp_path: Path, key: str, opened: str, answers: str) -> None:
    spec, responses = tmp_path / f"{key}.yaml", tmp_path / f"{key}.csv"
    spec.write_text(QUESTIONS.format(key=key, opened=opened), encoding="utf-8")
    responses.write_text("respondent,email,department,date,k1,b1\n" + answers, encoding="utf-8")
    _ok(run, "awareness", "survey", "new", str(spec))
    _ok(run, "awareness", "survey", "import", key, str(responses))


@pytest.fixture
def counted(run: Run, workspace: Path, tmp_path: Path) -> Run:
    """Acme's 40 people (directie 2, sales 26, marketing 3, it 3, hr 2, administratie 4);
    the kick-off sent to hr and directie, a tip to marketing and hr (file channel)."""
    _ok(run, "org", "people", "import", str(EXAMPLES / "employees.csv"))
    (workspace / "policy.yaml").write_text((EXAMPLES / "policy.yaml").read_text())
    _ok(run, "awareness", "campaign", "new", "kickoff", "--kind", "kickoff")
    _ok(run, "awareness", "campaign", "new", "tip", "--kind", "tip")
    for campaign, dept in (("kickoff", "hr"), ("kickoff", "directie"), ("tip", "marketing"),
                           ("tip", "hr")):
        _ok(run, "awareness", "send", campaign, "--dept", dept)
    return run


def test_reach_before_a_policy_is_published(counted: Run) -> None:
    rows = _status(counted)
    assert list(rows) == ["directie", "sales", "marketing", "it", "hr", "administratie", "(all)"]
    assert rows["hr"] == {"department": "hr", "name": "HR", "people": 2, "reached": 2,
                          "acknowledged": None, "trained": 0, "index": None, "trend": None}
    assert (rows["sales"]["people"], rows["sales"]["reached"]) == (26, 0)
    assert (rows["(all)"]["people"], rows["(all)"]["reached"]) == (40, 2 + 2 + 3)
    table = counted("awareness", "status")
    assert "No policy published yet" in table.stderr
    assert "—" in table.stdout


def test_reach_acknowledged_trained_and_index(counted: Run, workspace: Path,
                                              tmp_path: Path) -> None:
    _ok(counted, "policy", "publish", "--lang", "nl")
    _ok(counted, "policy", "ack", LINDA, DAAN, PIETER)
    (workspace / "training.yaml").write_text(TRAINING, encoding="utf-8")
    engine = workspace_engine(workspace)
    with transaction(engine) as session:
        session.add(TrainingCompletion(course="basis", email=SOPHIE,
                                       completed_on=date(2026, 10, 1)))
        session.add(TrainingCompletion(course="basis", email=BRAM,      # expired long ago
                                       completed_on=date(2020, 1, 1)))
    engine.dispose()
    # Scores by hand on a 1-5 scale: (v - 1) / 4 * 100 per answer, the mean per respondent.
    _survey(counted, tmp_path, "meting-1", "2026-10-01",
            f",{LINDA},,2026-10-02,5,5\n,{SOPHIE},,2026-10-02,3,3\nr-1,,sales,2026-10-03,2,2\n")
    _survey(counted, tmp_path, "meting-2", "2026-11-01",
            f",{LINDA},,2026-11-02,4,4\n,{SOPHIE},,2026-11-02,5,5\n")
    hr_1, hr_2 = (100 + 50) / 2, (75 + 100) / 2
    all_1, all_2 = (100 + 50 + 25) / 3, (75 + 100) / 2

    rows = _status(counted)
    assert rows["hr"] == {"department": "hr", "name": "HR", "people": 2, "reached": 2,
                          "acknowledged": 1, "trained": 1, "index": hr_2, "trend": hr_2 - hr_1}
    assert rows["marketing"]["acknowledged"] == 1 and rows["directie"]["acknowledged"] == 1
    assert rows["it"]["trained"] == 0
    assert (rows["sales"]["index"], rows["sales"]["trend"]) == (25.0, None)   # one survey only
    total = rows["(all)"]
    assert (total["people"], total["reached"], total["acknowledged"], total["trained"]) == (
        40, 7, 3, 1)
    assert total["index"] == pytest.approx(all_2, abs=0.05)
    assert total["trend"] == pytest.approx(all_2 - all_1, abs=0.05)

    only_hr = _status(counted, "--dept", "hr")
    assert list(only_hr) == ["hr"] and only_hr["hr"] == rows["hr"]
    markdown = counted("awareness", "status", "--dept", "hr", "-f", "md").stdout
    assert "| hr | HR | 2 | 2 | 1 | 1 | 87\\.5 | 12\\.5 |" in markdown


def test_per_campaign_counts(counted: Run) -> None:
    rows = _status(counted, "--campaigns")
    assert rows["hr"]["campaigns"] == {"kickoff": 2, "tip": 2}
    assert rows["marketing"]["campaigns"] == {"kickoff": 0, "tip": 3}
    assert rows["(all)"]["campaigns"] == {"kickoff": 4, "tip": 5}
    table = counted("awareness", "status", "--campaigns", "-f", "csv").stdout.splitlines()
    assert table[0] == ("department,name,people,reached,acknowledged,trained,index,trend,"
                        "kickoff,tip")
    assert table[-1] == "(all),,40,7,,0,,,4,5"         # CSV leaves missing figures empty


def test_a_person_added_later_counts_as_not_reached(counted: Run) -> None:
    _ok(counted, "org", "people", "add", f"eva.janssen{DOMAIN}", "--name", "Eva Janssen",
        "--dept", "hr")
    assert (_status(counted, "--dept", "hr")["hr"]["people"],
            _status(counted, "--dept", "hr")["hr"]["reached"]) == (3, 2)


def test_unknown_department_is_refused(counted: Run) -> None:
    result = counted("awareness", "status", "--dept", "inkoop")
    assert result.exit_code == 5 and "unknown department 'inkoop'" in result.stderr
