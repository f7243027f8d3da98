"""`smo inventory`: accounts, CSV round trip, filters, targets and the gap."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"


def _load_example(run: Run) -> None:
    assert run("org", "people", "import", str(EXAMPLES / "employees.csv")).exit_code == 0
    result = run("inventory", "import", str(EXAMPLES / "accounts.csv"))
    assert result.exit_code == 0, result.stderr
    assert run("inventory", "target", "import", str(EXAMPLES / "targets.csv")).exit_code == 0


def test_add_normalises_and_refuses_the_same_account_twice(run: Run) -> None:
    added = run("inventory", "add", "https://mastodon.social/@Acme", "--custodian",
                "Sanne@acme.nl", "--2fa", "-f", "json")
    assert added.exit_code == 0, added.stderr
    account = added.json()
    assert account["handle"] == "@acme@mastodon.social"
    assert account["platform"] == "mastodon"
    assert account["kind"] == "official"
    assert account["custodian"] == "sanne@acme.nl"
    again = run("inventory", "add", "@ACME@mastodon.social", "-p", "mastodon")
    assert again.exit_code == 4
    assert f"already in the inventory (id {account['id']})" in again.stderr


def test_add_without_platform_off_a_terminal_is_a_usage_error(run: Run) -> None:
    result = run("inventory", "add", "@someone")
    assert result.exit_code == 2
    assert "pass --platform" in result.stderr
    assert run("inventory", "list", "-f", "json").json() == []


def test_add_person_owned_account_defaults_to_employee_professional(run: Run) -> None:
    result = run("inventory", "add", "@jan.bsky.social", "-p", "bluesky", "--owner",
                 "Jan@Acme.nl", "-f", "json")
    assert result.json()["kind"] == "employee-professional"
    assert result.json()["owner"] == "jan@acme.nl"


def test_bad_owner_is_rejected(run: Run) -> None:
    result = run("inventory", "add", "@acme", "-p", "x", "--owner", "dept:warehouse")
    assert result.exit_code == 5
    assert "unknown department 'warehouse'" in result.stderr


def test_list_filters_by_platform_owner_kind_and_department(run: Run) -> None:
    _load_example(run)
    everything = run("inventory", "list", "-f", "json").json()
    assert len(everything) == 15
    assert list(everything[0]) == ["id", "platform", "handle", "owner", "kind", "custodian",
                                   "two_factor", "last_post", "url"]
    linkedin = run("inventory", "list", "-p", "linkedin", "-f", "json").json()
    assert {a["handle"] for a in linkedin} == {"company/acme-installatie", "in/sanne-de-vries-acme",
                                               "in/mark-jansen-verkoop",
                                               "in/sophie-dekker-recruiter"}
    impostors = run("inventory", "list", "--kind", "impostor", "-f", "json").json()
    assert [a["handle"] for a in impostors] == ["@acme.installatie"]
    hr = run("inventory", "list", "--dept", "hr", "-f", "json").json()
    # The department's own account and its people's accounts.
    assert {a["handle"] for a in hr} == {"@werkenbijacme", "in/sophie-dekker-recruiter"}
    owned = run("inventory", "list", "--owner", "company", "-f", "json").json()
    assert all(a["owner"] == "company" for a in owned) and len(owned) == 8
    limited = run("inventory", "list", "-n", "2", "-f", "csv").stdout.splitlines()
    assert len(limited) == 3


def test_export_import_round_trips(run: Run, tmp_path: Path, workspace: Path) -> None:
    _load_example(run)
    first = tmp_path / "first.csv"
    assert run("inventory", "export", "--out", str(first)).exit_code == 0
    rows = list(csv.DictReader(first.open()))
    assert len(rows) == 15
    instagram = next(r for r in rows if r["handle"] == "@acme_installatie")
    assert instagram["two_factor"] == "no"
    assert instagram["notes"] == "Wachtwoord gedeeld met stagiair in 2023"
    reimport = run("inventory", "import", str(first))
    assert "0 created, 0 updated, 15 unchanged" in reimport.stdout
    for account in run("inventory", "list", "-f", "json").json():
        run("inventory", "remove", str(account["id"]))
    assert "15 created" in run("inventory", "import", str(first)).stdout
    second = tmp_path / "second.csv"
    run("inventory", "export", "--out", str(second))
    assert second.read_text() == first.read_text()


def test_import_bad_row_names_line_and_column_and_imports_nothing(run: Run,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("platform,handle,owner,two_factor\nx,@good,company,yes\n"
                    "x,@bad,company,maybe\n")
    result = run("inventory", "import", str(path))
    assert result.exit_code == 5
    assert "line 3, column two_factor: 'maybe' is not yes or no" in result.stderr
    assert run("inventory", "list", "-f", "json").json() == []
    path.write_text("platform,handle\nmyspace,@old\n")
    assert "line 2, column platform: unknown platform 'myspace'" in run(
        "inventory", "import", str(path)).stderr


def test_import_rejects_the_same_account_twice_in_one_file(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("platform,handle,url\nx,@acme,\nx,,https://twitter.com/ACME\n")
    result = run("inventory", "import", str(path))
    assert result.exit_code == 5
    assert "line 3" in result.stderr and "twice" in result.stderr


def test_show_by_id_handle_or_url_and_edit_and_remove(run: Run) -> None:
    run("inventory", "add", "@acme", "-p", "x")
    by_handle = run("inventory", "show", "@acme", "-f", "json").json()
    by_url = run("inventory", "show", "https://x.com/acme", "-f", "json").json()
    assert by_handle["id"] == by_url["id"]
    edited = run("inventory", "edit", str(by_handle["id"]), "--no-2fa", "--custodian",
                 "it@acme.nl", "--url", "https://x.com/AcmeNL", "-f", "json").json()
    assert edited["handle"] == "@acmenl"
    assert edited["two_factor"] is False
    assert edited["custodian"] == "it@acme.nl"
    assert run("inventory", "edit", "@acmenl").exit_code == 2
    assert run("inventory", "remove", "@acmenl").exit_code == 0
    missing = run("inventory", "show", "@acmenl")
    assert missing.exit_code == 3
    assert "no account '@acmenl'" in missing.stderr
    assert run("inventory", "remove", "999").exit_code == 3


def test_targets_set_list_and_remove(run: Run) -> None:
    assert run("inventory", "target", "set", "linkedin", "--required", "must").exit_code == 0
    run("inventory", "target", "set", "linkedin", "--required", "should", "--why", "later")
    targets = run("inventory", "target", "list", "-f", "json").json()
    assert targets == [{"platform": "linkedin", "owner": "company", "required": "should",
                        "why": "later"}]
    person = run("inventory", "target", "set", "x", "--owner", "jan@acme.nl")
    assert person.exit_code == 5
    assert "not for one person" in person.stderr
    assert run("inventory", "target", "remove", "linkedin").exit_code == 0
    assert run("inventory", "target", "remove", "linkedin").exit_code == 3


def test_gap_finds_missing_forbidden_dormant_impostor_and_insecure(run: Run) -> None:
    _load_example(run)
    gaps = run("inventory", "gap", "-f", "json").json()
    found = {(g["scope"], g["platform"], g["finding"]) for g in gaps}
    assert ("company", "bluesky", "missing") in found            # should, absent
    assert ("company", "x", "must-not") in found                 # must-not, exists
    assert ("company", "x", "dormant") in found                  # kind dormant
    assert ("company", "tiktok", "impostor") in found
    assert ("company", "instagram", "no-two-factor") in found    # 2FA off
    assert ("company", "facebook", "no-custodian") in found
    assert ("company", "linkedin", "missing") not in found       # met by the company page
    assert ("dept:sales", "linkedin", "missing") not in found    # met by a salesperson's profile
    assert ("company", "tiktok", "must-not") not in found        # an impostor is not ours
    severities = [g["severity"] for g in gaps]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)


def test_gap_for_one_department_and_as_markdown(run: Run) -> None:
    _load_example(run)
    run("inventory", "target", "set", "tiktok", "--owner", "dept:hr", "--required", "should",
        "--why", "Werving | jonge monteurs")
    hr = run("inventory", "gap", "--dept", "hr", "-f", "json").json()
    assert {g["scope"] for g in hr} == {"dept:hr"}
    assert ("tiktok", "missing") in {(g["platform"], g["finding"]) for g in hr}
    markdown = run("inventory", "gap", "--dept", "hr", "-f", "md").stdout
    assert markdown.startswith("| severity | scope |")
    assert "Werving \\| jonge monteurs" in markdown
    assert run("inventory", "gap", "--dept", "nope").exit_code == 5


def test_account_owned_by_unknown_person_is_flagged(run: Run) -> None:
    run("inventory", "add", "@someone", "-p", "x", "--owner", "left@acme.nl")
    gaps = run("inventory", "gap", "-f", "json").json()
    assert [g["finding"] for g in gaps] == ["unknown-owner"]


def test_add_on_a_terminal_asks_for_what_is_missing(run: Run,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli._options.interactive", lambda: True)
    answers = "@acme\nthreads\ncompany\nsanne@acme.nl\ny\n"
    result = run("inventory", "add", input=answers)
    assert result.exit_code == 0, result.stderr
    account = run("inventory", "show", "@acme", "-f", "json").json()
    assert account["platform"] == "threads"
    assert account["custodian"] == "sanne@acme.nl"
    assert account["two_factor"] is True


def test_unknown_platform_typed_at_the_prompt_is_a_usage_error(
        run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli._options.interactive", lambda: True)
    result = run("inventory", "add", "@acme", input="myspace\n")
    assert result.exit_code == 2
    assert "unknown platform 'myspace'" in result.stderr


def test_import_with_fewer_columns_updates_only_those(run: Run, tmp_path: Path) -> None:
    run("inventory", "add", "@acmenl", "-p", "x", "--kind", "dormant", "--custodian",
        "it@acme.nl", "--purpose", "Nieuws", "--created", "2015-03-01")
    short = tmp_path / "short.csv"
    short.write_text("platform,handle,two_factor\nx,@acmenl,yes\n")
    assert "1 updated" in run("inventory", "import", str(short)).stdout
    account = run("inventory", "show", "@acmenl", "-f", "json").json()
    assert account["two_factor"] is True
    assert (account["kind"], account["custodian"], account["purpose"], account["created"]) == (
        "dormant", "it@acme.nl", "Nieuws", "2015-03-01")


def test_blank_kind_in_an_update_keeps_the_kind(run: Run, tmp_path: Path) -> None:
    run("inventory", "add", "@acmenl", "-p", "x", "--kind", "dormant")
    path = tmp_path / "kind.csv"
    path.write_text("platform,handle,kind,notes\nx,@acmenl,,closed in 2026\n")
    run("inventory", "import", str(path))
    account = run("inventory", "show", "@acmenl", "-f", "json").json()
    assert (account["kind"], account["notes"]) == ("dormant", "closed in 2026")


def test_people_import_with_fewer_columns_keeps_the_others(run: Run, tmp_path: Path) -> None:
    run("org", "people", "add", "jan@acme.nl", "--name", "Jan", "--dept", "sales", "--role",
        "Accountmanager")
    path = tmp_path / "names.csv"
    path.write_text("name,email\nJan Jansen,jan@acme.nl\n")
    assert "1 updated" in run("org", "people", "import", str(path)).stdout
    jan = run("org", "people", "show", "jan@acme.nl", "-f", "json").json()
    assert (jan["name"], jan["department"], jan["role"]) == ("Jan Jansen", "sales",
                                                             "Accountmanager")


def test_account_without_owner_is_reported_and_meets_no_target(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "found.csv"
    path.write_text("platform,handle,owner\ninstagram,@acme_official,\n")
    run("inventory", "import", str(path))
    run("inventory", "target", "set", "instagram", "--required", "must")
    account = run("inventory", "show", "@acme_official", "-f", "json").json()
    assert (account["owner"], account["kind"]) == ("", "unknown")
    found = {(g["finding"], g["account"]) for g in run("inventory", "gap", "-f", "json").json()}
    assert found == {("no-owner", "@acme_official"), ("missing", None)}


def test_personal_accounts_neither_meet_nor_break_company_targets(run: Run) -> None:
    run("org", "people", "add", "piet@acme.nl", "--name", "Piet")        # no department
    run("inventory", "add", "@piet", "-p", "x", "--owner", "piet@acme.nl")
    run("inventory", "add", "@piet_insta", "-p", "instagram", "--owner", "piet@acme.nl")
    run("inventory", "target", "set", "x", "--required", "must")
    run("inventory", "target", "set", "instagram", "--required", "must-not")
    found = {(g["scope"], g["platform"], g["finding"])
             for g in run("inventory", "gap", "-f", "json").json()}
    assert found == {("company", "x", "missing")}


def test_show_edit_remove_accept_any_form_of_the_url(run: Run) -> None:
    run("inventory", "add", "https://x.com/AcmeNL")
    run("inventory", "add", "https://www.linkedin.com/company/acme-nl/")
    assert run("inventory", "show", "https://twitter.com/acmenl/").exit_code == 0
    assert run("inventory", "edit", "https://www.linkedin.com/company/Acme-NL/about/",
               "--notes", "page").exit_code == 0
    assert run("inventory", "remove", "https://twitter.com/ACMENL").exit_code == 0
    assert [a["platform"] for a in run("inventory", "list", "-f", "json").json()] == ["linkedin"]


def test_edit_platform_drops_the_old_platforms_url(run: Run) -> None:
    run("inventory", "add", "@acmenl", "-p", "x")
    edited = run("inventory", "edit", "@acmenl", "--platform", "instagram", "-f", "json")
    assert edited.exit_code == 0, edited.stderr
    assert edited.json()["url"] == "https://www.instagram.com/acmenl/"


def test_lists_refuse_an_unknown_department(run: Run) -> None:
    for command in (("inventory", "list"), ("org", "people", "list")):
        result = run(*command, "--dept", "warehouse", "-f", "json")
        assert result.exit_code == 5
        assert "unknown department 'warehouse'" in result.stderr
        assert result.stdout == ""


def test_remove_asks_on_a_terminal_and_yes_skips_the_question(
        run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    run("inventory", "add", "@acmenl", "-p", "x")
    monkeypatch.setattr("smo_cli.cli._options.interactive", lambda: True)
    declined = run("inventory", "remove", "@acmenl", input="n\n")
    assert "Nothing removed." in declined.stdout
    assert run("inventory", "show", "@acmenl").exit_code == 0
    assert run("inventory", "remove", "@acmenl", "-y").exit_code == 0
    assert run("inventory", "show", "@acmenl").exit_code == 3


def test_misspelt_csv_column_is_refused_and_nothing_changes(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "typo.csv"
    path.write_text("platform,handle,onwer\nx,@acme,company\n")
    result = run("inventory", "import", str(path))
    assert result.exit_code == 5
    assert "line 1: unknown column onwer" in result.stderr
    assert "the columns are platform, handle, url, owner" in result.stderr
    assert run("inventory", "list", "-f", "json").json() == []


def test_list_owner_filter_understands_none_and_departments(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "owners.csv"
    path.write_text("platform,handle,owner\nx,@found,\nx,@hr,dept:hr\n")
    run("inventory", "import", str(path))
    assert [a["handle"] for a in run("inventory", "list", "--owner", "none", "-f",
                                     "json").json()] == ["@found"]
    assert [a["handle"] for a in run("inventory", "list", "--owner", "DEPT:HR", "-f",
                                     "json").json()] == ["@hr"]
    assert run("inventory", "list", "--owner", "dept:nosuch").exit_code == 5
    assert "No accounts match." in run("inventory", "list", "--platform", "tiktok").stdout


def test_add_and_edit_print_the_same_fields_as_show(run: Run) -> None:
    added = run("inventory", "add", "@acme", "-p", "x", "-f", "json").json()
    shown = run("inventory", "show", "@acme", "-f", "json").json()
    edited = run("inventory", "edit", "@acme", "--notes", "n", "-f", "json").json()
    assert list(added) == list(shown) == list(edited)


def test_mastodon_is_guessed_only_from_profile_paths(run: Run) -> None:
    assert run("inventory", "add", "https://social.example.org/@acme", "-f",
               "json").json()["platform"] == "mastodon"
    medium = run("inventory", "add", "https://medium.com/@acme")
    assert medium.exit_code == 2
    assert "pass --platform" in medium.stderr


def test_export_protects_formula_cells_and_imports_them_back(run: Run, tmp_path: Path) -> None:
    run("inventory", "add", "@acme", "-p", "x", "--notes", '=HYPERLINK("http://evil","x")')
    out = tmp_path / "export.csv"
    run("inventory", "export", "--out", str(out))
    assert "\"'=HYPERLINK(" in out.read_text()     # quoted, apostrophe first
    assert ",@acme," in out.read_text()            # a handle is not a formula
    run("inventory", "remove", "@acme")
    run("inventory", "import", str(out))
    assert run("inventory", "show", "@acme", "-f", "json").json()["notes"] == (
        '=HYPERLINK("http://evil","x")')


def test_audit_format_follows_the_out_suffix(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    assert run("inventory", "audit", "--out", str(out)).exit_code == 0
    assert out.read_text().startswith("<!doctype html>")
    assert run("inventory", "audit", "--lang", "EN").stdout.startswith("# Social media")


def test_check_accepts_a_handle(run: Run) -> None:
    run("inventory", "add", "@acme", "-p", "x")
    result = run("inventory", "check", "--account", "@acme", "-f", "json")
    assert [o["handle"] for o in result.json()] == ["@acme"]
