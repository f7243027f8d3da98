"""`smo org`: departments and people."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Run

EXAMPLE_PEOPLE = Path(__file__).resolve().parents[1] / "examples" / "acme" / "employees.csv"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_then_reports_unchanged_and_updated(run: Run, tmp_path: Path) -> None:
    first = run("org", "people", "import", str(EXAMPLE_PEOPLE))
    assert first.exit_code == 0, first.stderr
    assert "40 created, 0 updated, 0 unchanged" in first.stdout
    again = run("org", "people", "import", str(EXAMPLE_PEOPLE))
    assert "0 created, 0 updated, 40 unchanged" in again.stdout
    change = _write(tmp_path / "change.csv",
                    "name,email,department,role\n"
                    "Jan Jansen,JAN.JANSEN@acme-installatie.example,marketing,Contentmaker\n"
                    "Nieuwe Collega,nieuw@acme-installatie.example,it,Servicedesk\n")
    third = run("org", "people", "import", str(change))
    assert "1 created, 1 updated, 0 unchanged" in third.stdout
    jan = run("org", "people", "show", "jan.jansen@acme-installatie.example", "-f", "json").json()
    assert jan["department"] == "marketing"
    assert jan["role"] == "Contentmaker"


def test_departments_show_head_count(run: Run) -> None:
    run("org", "people", "import", str(EXAMPLE_PEOPLE))
    departments = {d["key"]: d for d in run("org", "departments", "-f", "json").json()}
    assert set(departments) == {"directie", "sales", "marketing", "it", "hr", "administratie"}
    assert departments["hr"]["people"] == 2
    assert sum(d["people"] for d in departments.values()) == 40
    assert departments["it"]["head"] == "ahmed.elamrani@acme-installatie.example"


def test_import_accepts_semicolons_and_excel_bom(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffNaam;E-mail;Afdeling;Functie\nAnna;anna@acme.nl;hr;Recruiter\n"
                     .encode())
    result = run("org", "people", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert run("org", "people", "show", "anna@acme.nl", "-f", "json").json()["role"] == "Recruiter"


def test_bad_row_names_line_and_column_and_imports_nothing(run: Run, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv",
                  "name,email,department\nGood Person,good@acme.nl,it\n"
                  "Bad Person,not-an-address,it\n")
    result = run("org", "people", "import", str(path))
    assert result.exit_code == 5
    expected = f"{path}: line 3, column email: 'not-an-address' is not an e-mail address"
    assert expected in result.stderr
    assert run("org", "people", "list", "-f", "json").json() == []


def test_unknown_department_and_manager_are_row_errors(run: Run, tmp_path: Path) -> None:
    dept = _write(tmp_path / "dept.csv", "name,email,department\nA,a@acme.nl,warehouse\n")
    result = run("org", "people", "import", str(dept))
    assert "line 2, column department: unknown department 'warehouse'" in result.stderr
    assert "known: directie, sales" in result.stderr
    manager = _write(tmp_path / "mgr.csv", "name,email,manager\nA,a@acme.nl,boss@acme.nl\n")
    result = run("org", "people", "import", str(manager))
    assert result.exit_code == 5
    assert "line 2, column manager: manager boss@acme.nl is not in the people list" in result.stderr


def test_manager_later_in_the_same_file_is_accepted(run: Run, tmp_path: Path) -> None:
    path = _write(tmp_path / "order.csv",
                  "name,email,manager\nA,a@acme.nl,boss@acme.nl\nBoss,boss@acme.nl,\n")
    assert run("org", "people", "import", str(path)).exit_code == 0


def test_duplicate_email_in_file_is_rejected(run: Run, tmp_path: Path) -> None:
    path = _write(tmp_path / "dup.csv", "name,email\nA,a@acme.nl\nB,A@acme.nl\n")
    result = run("org", "people", "import", str(path))
    assert result.exit_code == 5
    assert "line 3, column email" in result.stderr and "twice" in result.stderr


def test_missing_required_column_and_missing_file(run: Run, tmp_path: Path) -> None:
    path = _write(tmp_path / "nomail.csv", "name,department\nA,it\n")
    result = run("org", "people", "import", str(path))
    assert result.exit_code == 5
    assert "missing column email" in result.stderr
    missing = run("org", "people", "import", str(tmp_path / "absent.csv"))
    assert missing.exit_code == 3
    assert "does not exist" in missing.stderr


def test_add_show_list_remove(run: Run) -> None:
    added = run("org", "people", "add", "Eva@Acme.nl", "--name", "Eva Smit", "--dept", "it",
                "--role", "Developer")
    assert added.exit_code == 0, added.stderr
    assert "Added Eva Smit <eva@acme.nl>." in added.stdout
    assert run("org", "people", "add", "eva@acme.nl", "--name", "Eva").exit_code == 4
    listed = run("org", "people", "list", "--dept", "it", "-f", "csv").stdout.splitlines()
    assert listed[0] == "email,name,department,role,manager_email"
    assert listed[1] == "eva@acme.nl,Eva Smit,it,Developer,"
    assert run("org", "people", "remove", "eva@acme.nl").exit_code == 0
    gone = run("org", "people", "show", "eva@acme.nl")
    assert gone.exit_code == 3
    assert "no person with e-mail eva@acme.nl" in gone.stderr


def test_add_rejects_unknown_department(run: Run) -> None:
    result = run("org", "people", "add", "x@acme.nl", "--name", "X", "--dept", "nope")
    assert result.exit_code == 5
    assert "unknown department 'nope'" in result.stderr


def test_people_list_json_is_an_empty_array_when_empty(run: Run) -> None:
    assert run("org", "people", "list", "-f", "json").stdout.strip() == "[]"


def test_removing_a_manager_clears_their_reports_and_says_so(run: Run) -> None:
    run("org", "people", "import", str(EXAMPLE_PEOPLE))
    run("inventory", "add", "in/mark-jansen", "-p", "linkedin", "--owner",
        "mark.jansen@acme-installatie.example")
    result = run("org", "people", "remove", "mark.jansen@acme-installatie.example")
    assert result.exit_code == 0
    assert "People who had them as manager, now without one: 25." in result.stdout
    assert "Accounts they own, now with an unknown owner: 1 " in result.stdout
    jan = run("org", "people", "show", "jan.jansen@acme-installatie.example", "-f", "json").json()
    assert jan["manager_email"] is None
    gaps = run("inventory", "gap", "-f", "json").json()
    assert [g["finding"] for g in gaps] == ["unknown-owner"]


def test_add_without_name_off_a_terminal_is_a_usage_error(run: Run) -> None:
    result = run("org", "people", "add", "x@acme.nl")
    assert result.exit_code == 2
    assert "--name is required" in result.stderr


def test_init_without_org_off_a_terminal_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "new"))
    assert result.exit_code == 2
    assert "--org is required" in result.stderr
    assert not (tmp_path / "new").exists()


def test_a_person_cannot_be_their_own_manager(run: Run) -> None:
    result = run("org", "people", "add", "a@acme.nl", "--name", "A", "--manager", "A@acme.nl")
    assert result.exit_code == 5
    assert "cannot be their own manager" in result.stderr
