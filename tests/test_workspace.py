"""`smo init`, workspace discovery and smo.yaml validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from smo_cli.config import find_workspace_root, load_settings
from smo_cli.errors import InvalidData, NotFound
from tests.conftest import ON_POSTGRES, Run


@pytest.mark.skipif(ON_POSTGRES, reason="checks the default SQLite file smo.db")
def test_init_writes_commented_config_and_migrated_database(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "new"
    result = run("init", str(target), "--org", "Bakkerij De Korf", "--lang", "nl")
    assert result.exit_code == 0, result.stderr
    text = (target / "smo.yaml").read_text()
    assert "# smo-werkruimte" in text
    settings = load_settings(target / "smo.yaml")
    assert settings.organisation.name == "Bakkerij De Korf"
    assert settings.language == "nl"
    assert (target / "smo.db").exists()
    status = run("-w", str(target), "db", "status", "-f", "json").json()
    assert status["up_to_date"] is True
    assert status["pending"] == []


def test_init_quotes_an_organisation_name_that_looks_like_yaml(run: Run, tmp_path: Path) -> None:
    name = 'Acme: "B.V." # not a comment'
    assert run("init", str(tmp_path / "q"), "--org", name).exit_code == 0
    assert load_settings(tmp_path / "q" / "smo.yaml").organisation.name == name


def test_init_refuses_to_overwrite_without_force(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "twice"
    assert run("init", str(target), "--org", "Acme").exit_code == 0
    (target / "smo.yaml").write_text((target / "smo.yaml").read_text() + "# mine\n")
    again = run("init", str(target), "--org", "Other")
    assert again.exit_code == 4
    assert "already exists" in again.stderr
    assert (target / "smo.yaml").read_text().endswith("# mine\n")
    assert run("init", str(target), "--org", "Other", "--force").exit_code == 0


def test_init_rejects_unknown_language(run: Run, tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "x"), "--org", "Acme", "--lang", "de")
    assert result.exit_code == 5
    assert "unknown language 'de'" in result.stderr
    assert not (tmp_path / "x" / "smo.yaml").exists()


def _make(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "smo.yaml").write_text("organisation: {name: X}\n")
    return root


def test_discovery_prefers_option_then_env_then_upward(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    option, env_ws, upward = _make(tmp_path / "a"), _make(tmp_path / "b"), _make(tmp_path / "c")
    deep = upward / "x" / "y"
    deep.mkdir(parents=True)
    env = {"SMO_WORKSPACE": str(env_ws)}
    assert find_workspace_root(option, env, deep) == option.resolve()
    assert find_workspace_root(None, env, deep) == env_ws.resolve()
    assert find_workspace_root(None, {}, deep) == upward


def test_discovery_falls_back_to_user_data_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = _make(tmp_path / "data")
    monkeypatch.setattr("smo_cli.config.user_data_dir", lambda: data)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_workspace_root(None, {}, empty) == data


def test_discovery_without_any_workspace_says_how_to_make_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.config.user_data_dir", lambda: tmp_path / "none")
    with pytest.raises(NotFound, match="smo init"):
        find_workspace_root(None, {}, tmp_path)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"departments": [{"key": "Sales Team", "name": "S"}]},
         "departments[0].key: got 'Sales Team'"),
        ({"business_hours": {"timezone": "Mars/Olympus"}},
         "business_hours.timezone: unknown time zone 'Mars/Olympus'"),
        ({"organisation": {"name": "A", "colour": "red"}},
         "organisation.colour: unknown key"),
        ({"departments": [{"key": "it", "name": "IT"}, {"key": "it", "name": "IT 2"}]},
         "departments: department key 'it' is used twice"),
        ({"business_hours": {"start": "18:00", "end": "09:00"}},
         "business_hours: start must be before end"),
    ],
)
def test_invalid_config_names_file_key_and_expectation(run: Run, workspace: Path,
                                                        patch: dict[str, object],
                                                        expected: str) -> None:
    config = yaml.safe_load((workspace / "smo.yaml").read_text())
    config.update(patch)
    (workspace / "smo.yaml").write_text(yaml.safe_dump(config))
    result = run("config", "show")
    assert result.exit_code == 5
    assert str(workspace / "smo.yaml") in result.stderr
    assert expected in result.stderr


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "smo.yaml"
    path.write_text("organisation:\n  name: [unclosed\n")
    with pytest.raises(InvalidData, match=r"smo\.yaml:\d+"):
        load_settings(path)


def test_config_show_redacts_database_password(run: Run) -> None:
    result = run("config", "show", "-f", "json",
                 env={"SMO_DATABASE_URL": "postgresql://smo:s3cret@localhost:1/smo"})
    assert result.exit_code == 0
    assert "s3cret" not in result.stdout
    assert result.json()["database_url"] == "postgresql://smo:***@localhost:1/smo"


def test_config_path_prints_the_file(run: Run, workspace: Path) -> None:
    assert run("config", "path").stdout.strip() == str(workspace / "smo.yaml")


def test_unquoted_business_hours_are_refused_with_a_hint(run: Run, workspace: Path) -> None:
    text = (workspace / "smo.yaml").read_text().replace('start: "08:30"', "start: 8:30")
    (workspace / "smo.yaml").write_text(text)
    result = run("config", "show")
    assert result.exit_code == 5
    assert 'business_hours.start: write times in quotes, e.g. "09:00"' in result.stderr


def test_pattern_errors_say_what_was_expected(run: Run, workspace: Path) -> None:
    text = (workspace / "smo.yaml").read_text().replace("country: NL", "country: nl")
    (workspace / "smo.yaml").write_text(text)
    result = run("config", "show")
    assert "organisation.country: got 'nl', expected a two-letter country code in capitals" \
        in result.stderr


def test_config_that_is_not_utf8_is_invalid_not_a_crash(run: Run, workspace: Path) -> None:
    (workspace / "smo.yaml").write_bytes("organisation:\n  name: Caf\xe9\n".encode("latin-1"))
    result = run("config", "show")
    assert result.exit_code == 5
    assert "is not UTF-8" in result.stderr


def test_database_url_from_a_file(run: Run, tmp_path: Path) -> None:
    secret = tmp_path / "db-url"
    secret.write_text("postgresql://smo:fromfile@localhost:1/smo\n")
    result = run("config", "show", "-f", "json", env={"SMO_DATABASE_URL_FILE": str(secret)})
    assert result.json()["database_url"] == "postgresql://smo:***@localhost:1/smo"
    missing = run("config", "show", env={"SMO_DATABASE_URL_FILE": str(tmp_path / "absent")})
    assert missing.exit_code == 5
    assert "SMO_DATABASE_URL_FILE: cannot read" in missing.stderr


def test_config_show_redacts_passwords_in_query_strings(run: Run) -> None:
    result = run("config", "show", "-f", "json",
                 env={"SMO_DATABASE_URL": "postgresql://u@h/db?sslmode=require&password=s3cret"})
    assert "s3cret" not in result.stdout
    assert result.json()["database_url"].endswith("sslmode=require&password=***")


def test_bluesky_appview_must_be_a_web_address(run: Run, workspace: Path) -> None:
    text = (workspace / "smo.yaml").read_text().replace(
        "bluesky_appview: https://public.api.bsky.app", "bluesky_appview: ftp://x")
    (workspace / "smo.yaml").write_text(text)
    result = run("config", "show")
    assert result.exit_code == 5
    assert "inventory.bluesky_appview: got 'ftp://x', expected an http(s) address" in result.stderr
