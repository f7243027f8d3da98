"""`smo training` courses, attendance, coverage and needs: training.yaml validation and checks,
completions from addresses and CSV files, and coverage / needs against a hand-worked fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smo_cli.config import Workspace, load_workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import (
    Account,
    Person,
    PolicyAck,
    PolicyVersion,
    TrainingCompletion,
)
from smo_cli.services.training import add_months, standing, trained_people
from smo_cli.services.training_records import coverage_rows, needs_rows, person_rows
from tests.conftest import Run, workspace_engine

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
SALES = ("jan.jansen@acme-installatie.example", "fatima.bouzid@acme-installatie.example")

# A small organisation whose coverage is worked out by hand below.
HAND_COURSES = {"courses": [
    {"key": "basis", "title": "Basis", "audience": "all", "duration": 60,
     "refresher_months": 12},
    {"key": "accounts", "title": "Accounts", "duration": 120, "refresher_months": 12,
     "audience": {"professional_accounts": True, "custodians": True}},
    {"key": "crisis", "title": "Crisis", "duration": 90, "modules": ["Oefening", "Nabespreking"],
     "audience": {"departments": ["directie"], "roles": ["Woordvoerder"]}},
]}
TODAY = date(2026, 6, 15)


@pytest.fixture
def engine(workspace: Path) -> Iterator[Engine]:
    made = workspace_engine(workspace)
    yield made
    made.dispose()


@pytest.fixture
def hand(workspace: Path, engine: Engine) -> Workspace:
    """Five people, one professional account, one custodian, and completions:

    a (sales, Accountmanager)  basis 2024-01-01 and 2025-06-15 → expires 2026-06-15: expired
    b (sales, professional)    basis 2025-07-10 → valid, expires in 25 days; accounts never
    c (directie)               basis 2026-01-31 → valid; crisis 2020-01-01 → valid (no refresher)
    d (hr, Woordvoerder)       nothing (and a course that is no longer in training.yaml)
    e (hr, custodian)          accounts 2025-03-31 → expired on 2026-03-31; basis never
    """
    (workspace / "training.yaml").write_text(yaml.safe_dump(HAND_COURSES), encoding="utf-8")
    people = [("a@x.nl", "Anna A", "sales", "Accountmanager"), ("b@x.nl", "Bert B", "sales", None),
              ("c@x.nl", "Cor C", "directie", None), ("d@x.nl", "Dirk D", "hr", "Woordvoerder"),
              ("e@x.nl", "Eva E", "hr", None)]
    completions = [("basis", "a@x.nl", date(2024, 1, 1)), ("basis", "a@x.nl", date(2025, 6, 15)),
                   ("basis", "b@x.nl", date(2025, 7, 10)), ("basis", "c@x.nl", date(2026, 1, 31)),
                   ("crisis", "c@x.nl", date(2020, 1, 1)), ("oud", "d@x.nl", date(2026, 1, 1)),
                   ("accounts", "e@x.nl", date(2025, 3, 31))]
    with transaction(engine) as session:
        session.add_all(Person(email=e, name=n, department=d, role=r) for e, n, d, r in people)
        session.add(Account(platform="linkedin", handle="bertb", owner="b@x.nl",
                            kind="employee-professional"))
        session.add(Account(platform="instagram", handle="@hr", owner="dept:hr",
                            kind="official", custodian="e@x.nl"))
        session.add(Account(platform="x", handle="@old", owner="company", kind="official",
                            custodian="someone@else.nl"))          # not in the people list
        session.add_all(TrainingCompletion(course=c, email=e, completed_on=d)
                        for c, e, d in completions)
    return load_workspace(workspace, {})


def test_add_months_uses_calendar_months_and_clamps_the_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 15), 12) == date(2026, 3, 15)


def test_a_completion_is_valid_until_the_day_before_it_expires(hand: Workspace) -> None:
    from smo_cli.services.training import get_course

    course = get_course(hand, "basis")
    assert standing(course, date(2025, 6, 15), date(2026, 6, 14)).state == "valid"
    assert standing(course, date(2025, 6, 15), date(2026, 6, 15)).state == "expired"
    assert standing(get_course(hand, "crisis"), date(1990, 1, 1), TODAY).state == "valid"
    assert [(m.title, m.minutes) for m in get_course(hand, "crisis").modules] == [
        ("Oefening", None), ("Nabespreking", None)]


def test_trained_people_have_a_valid_completion(hand: Workspace, engine: Engine) -> None:
    with reading(engine) as session:
        assert trained_people(session, hand, TODAY) == {"b@x.nl", "c@x.nl"}
        assert trained_people(session, hand, date(2026, 6, 14)) == {"a@x.nl", "b@x.nl", "c@x.nl"}


def test_trained_people_without_training_yaml_is_empty(workspace: Path, engine: Engine) -> None:
    with reading(engine) as session:
        session.add(TrainingCompletion(course="basis", email="a@x.nl",
                                       completed_on=date(2026, 1, 1)))
        assert trained_people(session, load_workspace(workspace, {}), TODAY) == set()


def test_coverage_per_department_and_course(hand: Workspace, engine: Engine) -> None:
    with reading(engine) as session:
        people = person_rows(session, hand, today=TODAY)
    states = {(r["email"], r["course"]): r["state"] for r in people}
    assert states == {
        ("a@x.nl", "basis"): "expired", ("b@x.nl", "basis"): "valid",
        ("b@x.nl", "accounts"): "never", ("c@x.nl", "basis"): "valid",
        ("c@x.nl", "crisis"): "valid", ("d@x.nl", "basis"): "never",
        ("d@x.nl", "crisis"): "never", ("e@x.nl", "basis"): "never",
        ("e@x.nl", "accounts"): "expired"}
    rows = {(r["department"], r["course"]): (r["people"], r["trained"], r["expired"],
                                             r["never"], r["rate"])
            for r in coverage_rows(people)}
    assert rows == {("directie", "basis"): (1, 1, 0, 0, "100%"),
                    ("directie", "crisis"): (1, 1, 0, 0, "100%"),
                    ("hr", "accounts"): (1, 0, 1, 0, "0%"),
                    ("hr", "basis"): (2, 0, 0, 2, "0%"),
                    ("hr", "crisis"): (1, 0, 0, 1, "0%"),
                    ("sales", "accounts"): (1, 0, 0, 1, "0%"),
                    ("sales", "basis"): (2, 1, 1, 0, "50%")}
    expires = {(r["email"], r["course"]): r["expires_on"] for r in people}
    assert expires[("a@x.nl", "basis")] == date(2026, 6, 15)
    assert expires[("c@x.nl", "crisis")] is None


def test_needs_names_each_reason(hand: Workspace, engine: Engine) -> None:
    with reading(engine) as session:
        rows = needs_rows(session, hand, today=TODAY)
    found = {(r["email"], r["course"]): (r["reason"], r["detail"]) for r in rows}
    assert found == {
        ("a@x.nl", "basis"): ("expired", "expired on 2026-06-15"),
        ("b@x.nl", "basis"): ("expiring", "expires on 2026-07-10"),
        ("b@x.nl", "accounts"): ("professional-account", "has a professional account "
                                 "(linkedin) but never had this course"),
        ("d@x.nl", "basis"): ("never", "never trained"),
        ("d@x.nl", "crisis"): ("never", "never trained"),
        ("e@x.nl", "basis"): ("never", "never trained"),
        ("e@x.nl", "accounts"): ("expired", "expired on 2026-03-31")}
    with reading(engine) as session:
        hr = needs_rows(session, hand, department="hr", today=TODAY)
    assert {(r["email"], r["course"]) for r in hr} == {
        ("d@x.nl", "basis"), ("d@x.nl", "crisis"), ("e@x.nl", "basis"), ("e@x.nl", "accounts")}


def test_needs_adds_the_policy_reason_once_a_version_is_published(hand: Workspace,
                                                                  engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(PolicyVersion(number=1, lang="nl", content_hash="x" * 64, content="."))
        session.add(PolicyAck(email="a@x.nl", lang="nl", version=1,
                              acknowledged_on=date(2026, 5, 1), source="test"))
    with reading(engine) as session:
        rows = {(r["email"], r["course"]): r for r in needs_rows(session, hand, today=TODAY)}
    # No course links a policy version, so the policy course is the one for everyone: basis.
    assert rows[("c@x.nl", "basis")]["reason"] == "policy"
    assert rows[("c@x.nl", "basis")]["detail"] == "has not acknowledged policy version 1"
    assert rows[("d@x.nl", "basis")]["detail"] == ("never trained; has not acknowledged "
                                                   "policy version 1")
    assert rows[("a@x.nl", "basis")]["detail"] == "expired on 2026-06-15"   # acknowledged
    assert ("c@x.nl", "crisis") not in rows
    assert len(rows) == 8


def test_status_and_needs_commands(run: Run, hand: Workspace) -> None:
    status = run("training", "status", "-f", "json")
    assert status.exit_code == 0, status.stderr
    assert list(status.json()[0]) == ["department", "course", "people", "trained", "expired",
                                      "never", "rate"]
    people = run("training", "status", "--people", "--dept", "hr", "-f", "json").json()
    assert list(people[0]) == ["department", "name", "email", "course", "state",
                               "completed_on", "expires_on"]
    assert {p["email"] for p in people} == {"d@x.nl", "e@x.nl"}
    markdown = run("training", "status", "--dept", "sales", "-f", "md").stdout
    assert markdown.startswith("| department | course | people |")
    needs = run("training", "needs", "-f", "json").json()
    assert list(needs[0]) == ["department", "name", "email", "course", "reason", "detail",
                              "completed_on", "expires_on"]
    unknown = run("training", "needs", "--dept", "verkoop")
    assert unknown.exit_code == 5 and "unknown department 'verkoop'" in unknown.stderr


@pytest.fixture
def acme(run: Run, workspace: Path) -> Run:
    """Acme's people, accounts, courses and published Dutch policy."""
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv"))):
        assert run(*args).exit_code == 0
    for name in ("training.yaml", "policy.yaml"):
        (workspace / name).write_text((EXAMPLES / name).read_text())
    assert run("policy", "publish", "--lang", "nl").exit_code == 0
    return run


def test_the_acme_example_checks_out(acme: Run) -> None:
    result = acme("training", "course", "check")
    assert result.exit_code == 0, result.stderr
    courses = acme("training", "course", "list", "-f", "json").json()
    assert [c["key"] for c in courses] == ["basis", "accounts", "woordvoering"]
    assert list(courses[0]) == ["key", "title", "audience", "duration", "modules",
                                "refresher_months", "policy_version"]
    shown = acme("training", "course", "show", "accounts", "-f", "json").json()
    # custodians sanne, daan, bram, sophie; professional accounts sanne, mark, sophie, jan
    assert (shown["people"], shown["never"]) == (6, 6)


def test_course_check_names_unknown_things(acme: Run, workspace: Path) -> None:
    courses = yaml.safe_load((workspace / "training.yaml").read_text())
    courses["courses"][2]["audience"] = {"departments": ["verkoop"], "roles": ["Piloot"],
                                         "people": ["niemand@acme-installatie.example"]}
    courses["courses"][0]["policy_version"] = 3
    (workspace / "training.yaml").write_text(yaml.safe_dump(courses, allow_unicode=True))
    result = acme("training", "course", "check")
    assert result.exit_code == 5
    lines = result.stderr.splitlines()
    assert any("courses[2].audience.departments: unknown department 'verkoop'" in x
               for x in lines)
    assert any("nobody in the people list has the role 'Piloot'" in x for x in lines)
    assert any("niemand@acme-installatie.example is not in the people list" in x for x in lines)
    assert any("courses[0].policy_version: policy version 3 has not been published" in x
               for x in lines)


def test_duplicate_keys_and_bad_values_name_the_file_and_key(run: Run, workspace: Path) -> None:
    path = workspace / "training.yaml"
    path.write_text("courses:\n  - {key: a, title: A, audience: all, duration: 60}\n"
                    "  - {key: a, title: B, audience: all, duration: 30}\n")
    result = run("training", "course", "check")
    assert result.exit_code == 5
    assert "training.yaml: courses: course key 'a' is used twice" in result.stderr
    path.write_text("courses:\n  - {key: a, title: A, audience: all, duration: lang}\n")
    listed = run("training", "course", "list")
    assert listed.exit_code == 5
    assert "training.yaml: courses[0].duration:" in listed.stderr
    path.write_text("courses:\n  - {key: a, title: A, audience: {}, duration: 60}\n")
    assert "courses[0].audience: name at least one of" in run("training", "course",
                                                              "list").stderr


def _completions(workspace: Path) -> list[tuple[str, str, date]]:
    engine = workspace_engine(workspace)
    with Session(engine) as session:
        rows = [(c.course, c.email, c.completed_on) for c in session.exec(
            select(TrainingCompletion).order_by(col(TrainingCompletion.id)))]
    engine.dispose()
    return rows


def test_attend_a_held_session_and_training_done_elsewhere(acme: Run, workspace: Path) -> None:
    held = (date.today() - timedelta(days=3)).isoformat()
    added = acme("training", "session", "add", "basis", "--at", f"{held} 09:00",
                 "--location", "Kantine")
    assert added.exit_code == 0, added.stderr
    result = acme("training", "attend", "1", *SALES)
    assert result.exit_code == 0, result.stderr
    assert f"Completions of basis on {held}: 2 recorded" in result.stdout
    assert "0 recorded, 1 already" in acme("training", "attend", "1", SALES[0].upper()).stdout
    elsewhere = acme("training", "attend", "--course", "accounts", "--date", "2026-01-10",
                     "mark.jansen@acme-installatie.example")
    assert elsewhere.exit_code == 0, elsewhere.stderr
    assert _completions(workspace) == [("basis", SALES[0], date.fromisoformat(held)),
                                       ("basis", SALES[1], date.fromisoformat(held)),
                                       ("accounts", "mark.jansen@acme-installatie.example",
                                        date(2026, 1, 10))]
    sessions = acme("training", "session", "list", "-f", "json").json()
    assert (sessions[0]["attended"], sessions[0]["state"]) == (2, "held")
    status = {(r["department"], r["course"]): r for r in
              acme("training", "status", "--dept", "sales", "-f", "json").json()}
    assert (status["sales", "basis"]["trained"], status["sales", "basis"]["people"]) == (2, 26)
    assert "basis: 2 of 26 trained (8%)" in acme("training", "status", "--dept", "sales").stderr


def test_unknown_people_and_future_sessions_record_nothing(acme: Run, workspace: Path) -> None:
    acme("training", "session", "add", "basis", "--at", "2031-01-06 09:00", "--location", "K")
    acme("training", "session", "add", "basis", "--at",
         f"{date.today() - timedelta(days=1)} 09:00", "--location", "K")
    unknown = acme("training", "attend", "2", SALES[0], "nobody@acme-installatie.example")
    assert unknown.exit_code == 3
    assert unknown.stderr.count("\n") == 1
    assert "nobody@acme-installatie.example is not in the people list" in unknown.stderr
    future = acme("training", "attend", "1", SALES[0])
    assert future.exit_code == 5 and "training session 1 starts at 2031-01-06 09:00" \
        in future.stderr
    later = acme("training", "attend", "--course", "basis", "--date", "2999-01-01", SALES[0])
    assert later.exit_code == 5
    assert acme("training", "attend", "3", SALES[0]).exit_code == 3     # no session 3
    assert _completions(workspace) == []


@pytest.mark.parametrize(("rows", "error"), [
    (f"{SALES[1]},31-13-2026", "line 3, column date: '31-13-2026' is not a date"),
    (f"{SALES[1]},2999-01-01", "line 3, column date: 2999-01-01 is in the future"),
    ("wie@anders.nl,2026-01-05", "line 3, column email: wie@anders.nl is not in the people list"),
    (f"{SALES[1]},", "line 3, column date: '(empty)' is not a date"),
])
def test_csv_errors_name_line_and_column_and_import_nothing(
        acme: Run, workspace: Path, tmp_path: Path, rows: str, error: str) -> None:
    sheet = tmp_path / "e-learning.csv"
    sheet.write_text(f"email,date\n{SALES[0]},2026-01-05\n{rows}\n", encoding="utf-8")
    result = acme("training", "attend", "--course", "basis", "--import", str(sheet))
    assert result.exit_code == 5
    assert f"e-learning.csv: {error}" in result.stderr
    assert "nothing was imported" in result.stderr
    assert _completions(workspace) == []


def test_csv_import_for_a_session_and_for_a_course(acme: Run, workspace: Path,
                                                   tmp_path: Path) -> None:
    held = date.today() - timedelta(days=2)
    acme("training", "session", "add", "woordvoering", "--at", f"{held} 13:00",
         "--location", "Directiekamer")
    sheet = tmp_path / "presentielijst.csv"
    sheet.write_text("Naam;E-mail;Afdeling\nPieter Bakker;pieter.bakker@acme-installatie.example;"
                     "directie\nIngrid de Boer;ingrid.deboer@acme-installatie.example;directie\n",
                     encoding="utf-8-sig")
    result = acme("training", "attend", "1", "--import", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert "2 recorded" in result.stdout
    dated = tmp_path / "dated.csv"
    dated.write_text(f"email,date\n{SALES[0]},2026-01-05\n", encoding="utf-8")
    wrong = acme("training", "attend", "1", "--import", str(dated))
    assert wrong.exit_code == 5 and "line 1: unknown column date" in wrong.stderr
    fixed_day = acme("training", "attend", "--course", "basis", "--date", "2026-02-01",
                     "--import", str(sheet))
    assert fixed_day.exit_code == 0, fixed_day.stderr
    assert [(c, d) for c, _, d in _completions(workspace)] == [
        ("woordvoering", held), ("woordvoering", held),
        ("basis", date(2026, 2, 1)), ("basis", date(2026, 2, 1))]


def test_attend_needs_a_session_or_a_course(acme: Run) -> None:
    assert acme("training", "attend", SALES[0]).exit_code == 2
    assert acme("training", "attend", "--course", "basis").exit_code == 2


def test_material_in_both_languages_with_the_organisations_answers(acme: Run,
                                                                   tmp_path: Path) -> None:
    dutch = acme("training", "material", "woordvoering", "--lang", "nl")
    assert dutch.exit_code == 0, dutch.stderr
    text = dutch.stdout
    assert text.startswith("# Woordvoering en crisiscommunicatie — Acme Installatietechniek")
    assert "- **Voor wie:** Directie, Marketing & Communicatie" in text
    assert "| 2 | Oefening: storing bij een grote klant gaat viraal | 0:40 | 1:40 | 60 |" in text
    assert "| Pers en algemene vragen | Sanne de Vries |" in text        # spokesperson
    assert "| youtube | @acmeinstallatie | Daan Peters |" in text         # official account
    assert "Telefoon: 026 123 45 67" in text                               # policy answer
    english = acme("training", "material", "basis", "--lang", "en", "--out",
                   str(tmp_path / "basis.html"))
    assert english.exit_code == 0, english.stderr
    html = (tmp_path / "basis.html").read_text()
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert "Part 2 — Handout: social media at Acme Installatietechniek" in html


def test_material_works_without_a_policy(run: Run, workspace: Path) -> None:
    (workspace / "training.yaml").write_text((EXAMPLES / "training.yaml").read_text())
    result = run("training", "material", "basis", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    assert "No social media policy has been written down yet" in result.stdout
    assert "No official accounts have been recorded yet." in result.stdout
    missing = run("training", "material", "nope")
    assert missing.exit_code == 3 and "no course 'nope' in training.yaml" in missing.stderr


def test_course_show_counts_the_audience(acme: Run) -> None:
    acme("training", "attend", "--course", "woordvoering", "--date", "2025-01-10",
         "pieter.bakker@acme-installatie.example")
    shown = acme("training", "course", "show", "woordvoering", "-f", "json").json()
    assert (shown["people"], shown["valid"], shown["expired"], shown["never"]) == (5, 0, 1, 4)
    assert json.dumps(shown["modules"][0], ensure_ascii=False).startswith('"Woordvoerders')


def test_the_outline_shares_the_duration_among_untimed_modules(hand: Workspace) -> None:
    from smo_cli.services.training import get_course
    from smo_cli.services.training_material import outline

    assert [(s["title"], s["from"], s["to"]) for s in outline(get_course(hand, "crisis"))] == [
        ("Oefening", "0:00", "0:45"), ("Nabespreking", "0:45", "1:30")]
