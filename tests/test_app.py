"""The root command: help, version, lazy groups, and how errors reach the user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smo_cli.cli.app import COMMAND_GROUPS
from tests.conftest import ON_POSTGRES, Run, workspace_engine


def test_help_lists_every_group_with_a_description(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name, (_, description) in COMMAND_GROUPS.items():
        assert name in result.stdout
        assert description.split(":")[0][:20] in result.stdout.replace("\n", " ").replace("  ", " ")


def test_version_prints_package_version(run: Run) -> None:
    from smo_cli import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"smo {__version__}"


@pytest.mark.parametrize("group", list(COMMAND_GROUPS))
def test_every_group_and_command_has_help(run: Run, group: str) -> None:
    import typer.main

    from smo_cli.cli.app import app

    root = typer.main.get_command(app)
    ctx = root.make_context("smo", [group, "--help"], resilient_parsing=True)
    command = root.get_command(ctx, group)  # type: ignore[attr-defined]
    subcommands = getattr(command, "commands", {}) or {group: command}
    for name, sub in subcommands.items():
        nested = getattr(sub, "commands", None) or {name: sub}
        for leaf_name, leaf in nested.items():
            assert (leaf.help or "").strip(), f"smo {group} {leaf_name} has no help text"
    assert run(group, "--help").exit_code == 0


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; sys.argv=['smo','--help']\n"
        "from smo_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy=[m for m in ('httpx','jinja2','feedparser','alembic','sqlalchemy','rich') "
        "if m in sys.modules]\nprint('HEAVY', heavy)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "HEAVY []" in output


def test_inventory_list_does_not_import_network_or_template_libraries(run: Run) -> None:
    code = (
        "import sys; sys.argv=['smo','inventory','list','-f','json']\n"
        "from smo_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy=[m for m in ('httpx','jinja2','feedparser','alembic') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip().endswith("HEAVY []")


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "smo_cli", "--version"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("smo ")


def test_expected_error_is_one_line_on_stderr_with_its_exit_code(run: Run, tmp_path: Path) -> None:
    result = run("-w", str(tmp_path / "nowhere"), "config", "show")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: no smo.yaml in")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_exception_instead(run: Run, tmp_path: Path) -> None:
    from smo_cli.errors import NotFound

    with pytest.raises(NotFound):
        run("--debug", "-w", str(tmp_path / "nowhere"), "config", "show")


def test_unknown_command_is_a_usage_error(run: Run) -> None:
    result = run("nonsense")
    assert result.exit_code == 2


def test_a_bug_is_one_line_with_a_hint_and_exit_one(run: Run,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("smo_cli.services.org.list_departments", broken)
    result = run("org", "departments")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "internal error: ZeroDivisionError: division by zero" in result.stderr
    assert "--debug" in result.stderr


def test_ctrl_c_exits_130(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("smo_cli.services.org.list_departments", interrupted)
    result = run("org", "departments")
    assert result.exit_code == 130
    assert "interrupted" in result.stderr


def test_database_newer_than_smo_is_a_clear_conflict(run: Run, workspace: Path) -> None:
    from sqlalchemy import text

    engine = workspace_engine(workspace)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    finally:
        engine.dispose()
    result = run("inventory", "list")
    assert result.exit_code == 4
    assert "newer than this smo" in result.stderr
    assert result.stderr.count("\n") == 1


def test_unreachable_database_server_is_one_line_exit_6(run: Run) -> None:
    result = run("org", "people", "list",
                 env={"SMO_DATABASE_URL": "postgresql://smo:pw@127.0.0.1:9/smo"})
    assert result.exit_code == 6
    assert result.stderr.startswith("error: cannot use the database postgresql+psycopg://smo:***@")
    assert "pw" not in result.stderr.replace("psycopg", "")
    assert result.stderr.count("\n") == 1


@pytest.mark.skipif(ON_POSTGRES, reason="overwrites the SQLite file with junk")
def test_a_file_that_is_not_a_database_is_one_line_exit_6(run: Run, workspace: Path) -> None:
    (workspace / "smo.db").write_bytes(b"this is not sqlite" * 100)
    for suffix in ("-wal", "-shm"):
        (workspace / f"smo.db{suffix}").unlink(missing_ok=True)
    result = run("inventory", "list")
    assert result.exit_code == 6
    assert "cannot use the database" in result.stderr


def test_output_to_a_closed_pipe_is_quiet(workspace: Path) -> None:
    import os

    env = {**os.environ, "SMO_WORKSPACE": str(workspace)}
    people = workspace / "many.csv"
    # Far more than a pipe buffer (64 KiB), so the writer really meets the closed pipe.
    people.write_text("name,email\n" + "".join(f"Person {n},p{n}@acme.nl\n" for n in range(5000)))
    subprocess.run([sys.executable, "-m", "smo_cli", "org", "people", "import", str(people)],
                   env=env, check=True, capture_output=True)
    pipeline = subprocess.run(
        f"{sys.executable} -m smo_cli org people list -f csv | head -n 1",
        shell=True, env=env, capture_output=True, text=True, check=True)
    assert pipeline.stdout == "email,name,department,role,manager_email\n"
    assert "Error" not in pipeline.stderr and "Traceback" not in pipeline.stderr


def test_writing_to_a_missing_folder_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    result = run("inventory", "export", "--out", str(tmp_path / "missing" / "x.csv"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "No such file or directory" in result.stderr


def test_a_mistyped_command_in_a_group_suggests_the_right_one(run: Run) -> None:
    result = run("inventory", "lst")
    assert result.exit_code == 2
    assert "Did you mean 'list'?" in result.stderr


def test_group_help_lists_all_its_commands(run: Run) -> None:
    listed = run("inventory", "--help").stdout
    for command in ("add", "list", "show", "edit", "remove", "import", "export", "target",
                    "gap", "check", "audit"):
        assert f"\n  {command} " in listed


def test_ctrl_c_at_a_prompt_exits_130(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli._options.interactive", lambda: True)
    result = run("org", "people", "add", "x@acme.nl")        # asks for the name; stdin is empty
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
