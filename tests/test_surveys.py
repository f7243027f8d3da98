"""`smo awareness survey`: questionnaires, responses from CSV (all or nothing, errors naming line
and column) and the awareness index per department, per dimension and over time, checked against
numbers worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
LINDA, SOPHIE = "linda.visser@acme-installatie.example", "sophie.dekker@acme-installatie.example"

# Four statements on a 1-5 scale; k2 is worded the other way round (agreeing is the bad answer).
QUESTIONNAIRE = """\
key: {key}
title: Nulmeting
scale: 5
opened_on: {opened}
questions:
  - {{id: k1, dimension: knowledge, text: Ik weet wie namens ons spreekt.}}
  - {{id: k2, dimension: knowledge, reverse: true, text: Ik weet niet wat vertrouwelijk is.}}
  - {{id: a1, dimension: attitude, text: Voorzichtig zijn met foto's vind ik belangrijk.}}
  - {{id: b1, dimension: behaviour, text: Kritiek stuur ik door.}}
"""
HEADER = "respondent,email,department,date,k1,k2,a1,b1\n"
FIRST = (HEADER
         + f",{LINDA},,2026-10-05,5,2,4,\n"          # hr (from the people list); b1 skipped
         + f",{SOPHIE},hr,2026-10-06,3,3,3,3\n"
         + "r-17,,sales,06-10-2026,1,5,2,1\n")          # anonymous, day-first date
SECOND = (HEADER
          + f",{LINDA},,2026-11-02,5,1,5,5\n"
          + f",{SOPHIE},,2026-11-03,4,2,4,4\n")

# By hand: an answer v scores (v - 1) / 4 * 100; reversed, (5 - v) / 4 * 100.
LINDA_1 = (100 + 75 + 75) / 3                       # k1 5, k2 2 reversed, a1 4
SOPHIE_1 = (50 + 50 + 50 + 50) / 4
SALES_1 = (0 + 0 + 25 + 0) / 4                      # k1 1, k2 5 reversed, a1 2, b1 1
HR_1 = (LINDA_1 + SOPHIE_1) / 2
ALL_1 = (LINDA_1 + SOPHIE_1 + SALES_1) / 3
HR_2 = ((100 + 100 + 100 + 100) / 4 + (75 + 75 + 75 + 75) / 4) / 2


@pytest.fixture
def people(run: Run) -> Run:
    assert run("org", "people", "import", str(EXAMPLES / "employees.csv")).exit_code == 0
    return run


def _survey(run: Run, tmp_path: Path, key: str = "nulmeting", opened: str = "2026-10-01") -> None:
    path = tmp_path / f"{key}.yaml"
    path.write_text(QUESTIONNAIRE.format(key=key, opened=opened), encoding="utf-8")
    result = run("awareness", "survey", "new", str(path))
    assert result.exit_code == 0, result.stderr
    assert f"Survey {key}: 4 questions." in result.stdout


def _import(run: Run, tmp_path: Path, key: str, text: str) -> None:
    path = tmp_path / f"{key}.csv"
    path.write_text(text, encoding="utf-8")
    result = run("awareness", "survey", "import", key, str(path))
    assert result.exit_code == 0, result.stderr


def _results(run: Run, key: str) -> dict[str, dict[str, object]]:
    result = run("awareness", "survey", "results", key, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return {row["department"]: row for row in json.loads(result.stdout)}


def test_index_per_department_dimension_and_overall(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path)
    _import(people, tmp_path, "nulmeting", FIRST)
    rows = _results(people, "nulmeting")
    assert list(rows) == ["hr", "sales", "(all)"]
    hr = rows["hr"]
    assert hr["respondents"] == 2
    assert hr["index"] == pytest.approx(HR_1, abs=0.05)
    assert hr["knowledge"] == pytest.approx(((100 + 75) / 2 + (50 + 50) / 2) / 2, abs=0.05)
    assert hr["attitude"] == pytest.approx((75 + 50) / 2, abs=0.05)
    assert hr["behaviour"] == pytest.approx(50, abs=0.05)   # Linda skipped it: Sophie's only
    assert hr["trend"] is None
    assert rows["sales"]["index"] == pytest.approx(SALES_1, abs=0.05)
    assert rows["(all)"]["respondents"] == 3
    assert rows["(all)"]["index"] == pytest.approx(ALL_1, abs=0.05)


def test_trend_against_the_previous_survey(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path, "nulmeting", "2026-10-01")
    _survey(people, tmp_path, "meting-2", "2026-11-01")
    _import(people, tmp_path, "meting-2", SECOND)           # imported first: order is by date
    _import(people, tmp_path, "nulmeting", FIRST)
    rows = _results(people, "meting-2")
    assert rows["hr"]["index"] == pytest.approx(HR_2, abs=0.05)
    assert rows["hr"]["trend"] == pytest.approx(HR_2 - HR_1, abs=0.05)
    assert rows["(all)"]["trend"] == pytest.approx(HR_2 - ALL_1, abs=0.05)
    assert "sales" not in rows                              # nobody from sales answered again
    over_time = people("awareness", "survey", "list", "-f", "json").json()
    assert [s["key"] for s in over_time] == ["nulmeting", "meting-2"]
    assert over_time[0]["responses"] == 3 and over_time[0]["trend"] is None
    assert over_time[1]["index"] == pytest.approx(HR_2, abs=0.05)
    assert over_time[1]["trend"] == pytest.approx(HR_2 - ALL_1, abs=0.05)


def test_results_as_markdown_and_table(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path)
    _import(people, tmp_path, "nulmeting", FIRST)
    markdown = people("awareness", "survey", "results", "nulmeting", "-f", "md").stdout
    assert markdown.startswith("| department | respondents | index | knowledge |")
    assert "| hr | 2 | " in markdown and "| — |" in markdown     # no trend yet
    table = people("awareness", "survey", "results", "nulmeting").stdout
    assert "(all)" in table and "—" in table


def test_importing_the_same_file_again_changes_nothing(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path)
    path = tmp_path / "responses.csv"
    path.write_text(FIRST, encoding="utf-8")
    first = people("awareness", "survey", "import", "nulmeting", str(path))
    assert "3 imported, 0 already on record" in first.stdout
    again = people("awareness", "survey", "import", "nulmeting", str(path))
    assert "0 imported, 3 already on record" in again.stdout
    path.write_text(HEADER + f",{LINDA},,2026-10-05,1,1,1,1\n", encoding="utf-8")
    changed = people("awareness", "survey", "import", "nulmeting", str(path))
    assert changed.exit_code == 5
    assert f"line 2, column email: respondent {LINDA} answered this survey before" \
        in changed.stderr


@pytest.mark.parametrize(("row", "error"), [
    (f",{SOPHIE},hr,2026-10-06,3,7,3,3", "line 3, column k2: 7 is out of range 1 to 5"),
    (f",{SOPHIE},hr,2026-10-06,3,veel,3,3", "line 3, column k2: 'veel' is not a number"),
    (f",{SOPHIE},hr,2026-10-06,3,2.5,3,3", "line 3, column k2: 2.5 is out of range 1 to 5"),
    (f",{SOPHIE},inkoop,2026-10-06,3,3,3,3", "line 3, column department: unknown department "
                                            "'inkoop'"),
    (f",{LINDA.upper()},,2026-10-06,3,3,3,3", f"line 3, column email: duplicate respondent "
                                             f"{LINDA} (also on line 2)"),
    ("r-1,,,2026-10-06,3,3,3,3", "line 3, column department: an anonymous response needs a "
                                 "department"),
    (",wie@elders.example,,2026-10-06,3,3,3,3", "line 3, column department: wie@elders.example "
                                               "is not in the people list"),
    (f",{SOPHIE},hr,31-02-2026,3,3,3,3", "line 3, column date: '31-02-2026' is not a date"),
    (f",{SOPHIE},hr,2999-01-01,3,3,3,3", "line 3, column date: 2999-01-01 is in the future"),
    (f",{SOPHIE},hr,2026-10-06,,,,", "line 3, column k1…b1: no question answered"),
])
def test_import_errors_name_line_and_column_and_import_nothing(
        people: Run, tmp_path: Path, row: str, error: str) -> None:
    _survey(people, tmp_path)
    path = tmp_path / "antwoorden.csv"
    path.write_text(f"{HEADER},{LINDA},,2026-10-05,5,2,4,\n{row}\n", encoding="utf-8")
    result = people("awareness", "survey", "import", "nulmeting", str(path))
    assert result.exit_code == 5, result.stdout
    assert f"antwoorden.csv: {error}" in result.stderr
    assert "nothing was imported" in result.stderr
    assert people("awareness", "survey", "list", "-f", "json").json()[0]["responses"] == 0


def test_an_unknown_question_column_names_line_one(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path)
    path = tmp_path / "antwoorden.csv"
    path.write_text(f"email,date,k1,k9\n{LINDA},2026-10-05,5,4\n", encoding="utf-8")
    result = people("awareness", "survey", "import", "nulmeting", str(path))
    assert result.exit_code == 5
    assert "antwoorden.csv: line 1: unknown column k9" in result.stderr
    assert "k1, k2, a1, b1" in result.stderr                    # the hint lists the questions


def test_dutch_headers_and_semicolons_from_excel(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path)
    _import(people, tmp_path, "nulmeting",
            "E-mail;Afdeling;Datum;k1;k2;a1;b1\n"
            f"{LINDA};;05-10-2026;5;2;4;\n"
            f"{SOPHIE};hr;2026-10-06;3;3;3;3\n")
    assert _results(people, "nulmeting")["hr"]["index"] == pytest.approx(HR_1, abs=0.05)


@pytest.mark.parametrize(("change", "error"), [
    (("dimension: behaviour", "dimension: skills"),
     "questions[3].dimension: Input should be 'knowledge', 'attitude' or 'behaviour'"),
    (("id: a1", "id: k1"), "questions: question id 'k1' is used twice"),
    (("scale: 5", "scale: 1"), "scale: Input should be greater than or equal to 2"),
    (("title: Nulmeting", "titel: Nulmeting"), "title: Field required (+1 more)"),
    (("id: b1", "id: date"), "questions[3].id: 'date' is a column of the responses file"),
])
def test_questionnaire_errors_name_file_and_key(run: Run, tmp_path: Path,
                                                change: tuple[str, str], error: str) -> None:
    path = tmp_path / "survey.yaml"
    path.write_text(QUESTIONNAIRE.format(key="nulmeting", opened="2026-10-01")
                    .replace(*change), encoding="utf-8")
    result = run("awareness", "survey", "new", str(path))
    assert result.exit_code == 5
    assert f"survey.yaml: {error}" in result.stderr
    assert run("awareness", "survey", "list", "-f", "json").json() == []


def test_a_survey_key_is_stored_once(run: Run, tmp_path: Path) -> None:
    _survey(run, tmp_path)
    path = tmp_path / "nulmeting.yaml"
    again = run("awareness", "survey", "new", str(path))
    assert again.exit_code == 4 and "survey 'nulmeting' already exists" in again.stderr
    missing = run("awareness", "survey", "import", "nope", str(path))
    assert missing.exit_code == 3 and "no survey 'nope'" in missing.stderr


def test_the_example_survey_gives_an_index(people: Run) -> None:
    result = people("awareness", "survey", "new", str(EXAMPLES / "survey.yaml"))
    assert result.exit_code == 0, result.stderr
    assert "9 questions" in result.stdout
    imported = people("awareness", "survey", "import", "nulmeting-2026",
                      str(EXAMPLES / "survey-responses.csv"))
    assert imported.exit_code == 0, imported.stderr
    rows = _results(people, "nulmeting-2026")
    assert "13 imported" in imported.stdout
    assert len(rows) >= 6                                     # several departments and (all)
    assert all(0 <= float(str(r["index"])) <= 100 for r in rows.values())


def test_responses_need_a_respondent_or_email_column(people: Run, tmp_path: Path) -> None:
    _survey(people, tmp_path)
    path = tmp_path / "antwoorden.csv"
    path.write_text("department,date,k1\nhr,2026-10-05,4\n", encoding="utf-8")
    result = people("awareness", "survey", "import", "nulmeting", str(path))
    assert result.exit_code == 5
    assert "antwoorden.csv: line 1: missing column respondent or email" in result.stderr
