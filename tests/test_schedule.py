"""`smo schedule`: smo's block in the user's crontab (a fake `crontab` program on PATH keeping
the table in a file) and systemd user units (in a temporary HOME)."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smo_cli.config import load_workspace
from smo_cli.services import schedule
from tests.conftest import Run

FAKE_CRONTAB = """#!/bin/sh
# A stand-in for crontab(1): the table lives in {table}; each call is logged in {calls}.
echo "$*" >> '{calls}'
case "$1" in
  -l) [ -f '{table}' ] || {{ echo "no crontab for $(id -un)" >&2; exit 1; }}; cat '{table}' ;;
  -) {write} ;;
  *) echo "crontab: usage error" >&2; exit 1 ;;
esac
"""
OTHER_JOBS = (b"MAILTO=ops@acme.example\r\n"                 # CRLF, kept as it is
              b"# backups \xe9\xe9n keer per nacht\n"         # not UTF-8: kept byte for byte
              b"30 2 * * * /usr/local/bin/backup --all\n"
              b"@reboot /usr/bin/true")                       # no newline at the end


@dataclass
class Crontab:
    table: Path
    calls: Path
    bin: Path

    def read(self) -> bytes:
        return self.table.read_bytes()

    def writes(self) -> int:
        lines = self.calls.read_text().splitlines() if self.calls.exists() else []
        return lines.count("-")


def _program(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: str) -> Crontab:
    fake = Crontab(tmp_path / "crontab.txt", tmp_path / "crontab-calls.txt", tmp_path / "bin")
    fake.bin.mkdir()
    _program(fake.bin, "crontab", FAKE_CRONTAB.format(table=fake.table, calls=fake.calls,
                                                      write=write.format(table=fake.table)))
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ.get('PATH', '')}")
    return fake


@pytest.fixture
def crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Crontab:
    return _fake_crontab(tmp_path, monkeypatch, "cat > '{table}'")


def _block(table: bytes, workspace: Path) -> list[str]:
    text = table.decode("utf-8", "replace")
    start = text.index(f"# >>> smo {workspace.resolve()} >>>")
    end = text.index(f"# <<< smo {workspace.resolve()} <<<")
    return text[start:end].splitlines()


def _jobs(lines: list[str]) -> dict[str, str]:
    """job name -> its crontab line, from the `# name: ...` comment above each line."""
    named = {}
    for comment, line in itertools.pairwise(lines):
        match = re.match(r"# ([a-z-]+): ", comment)
        if match and not line.startswith("#"):
            named[match[1]] = line
    return named


# --- show ---------------------------------------------------------------------------------------


def test_show_prints_every_job_with_absolute_paths_and_its_log(run: Run, workspace: Path) -> None:
    result = run("schedule", "show")
    assert result.exit_code == 0, result.stderr
    root = workspace.resolve()
    lines = result.stdout.splitlines()
    assert lines[0] == f"# >>> smo {root} >>>" and lines[-1] == f"# <<< smo {root} <<<"
    jobs = _jobs(lines)
    assert list(jobs) == ["listen", "publish-due", "outbox", "digests", "inventory-check",
                          "report"]                  # the Acme example has engage accounts
    expected = {"listen": ("*/15 * * * *", "listen run --quiet"),
                "publish-due": ("*/5 * * * *", "engage publish-due --quiet"),
                "outbox": ("*/5 * * * *", "outbox send"),
                "digests": ("0 8 * * *", "outbox send --digests"),
                "inventory-check": ("0 6 * * 1", "inventory check"),
                "report": ("0 7 1 * *", "report executive --period \"$period\" --send")}
    for name, (when, command) in expected.items():
        line = jobs[name]
        assert line.startswith(when + " "), line
        assert f" -w {root} {command} >> {root}/logs/{name}.log 2>&1" in line, line
        program = line.split(" && ")[-1].split()[5 if name != "report" else 0]
        assert Path(program).is_absolute(), line     # smo, or python -m smo_cli


def test_show_leaves_out_publishing_without_engage_accounts_and_follows_digest_at(
        run: Run, workspace: Path) -> None:
    config = workspace / "smo.yaml"
    text = config.read_text(encoding="utf-8")
    text = text[:text.index("engage:")] + text[text.index("\n", text.index("handle:")) + 1:]
    config.write_text(text.replace("delivery:\n", 'delivery:\n  digest_at: "07:45"\n'),
                      encoding="utf-8")
    jobs = _jobs(run("schedule", "show").stdout.splitlines())
    assert "publish-due" not in jobs
    assert jobs["digests"].startswith("45 7 * * * ")


def test_show_as_json_lists_the_jobs(run: Run, workspace: Path) -> None:
    rows = run("schedule", "show", "-f", "json").json()
    assert [r["job"] for r in rows][:2] == ["listen", "publish-due"]
    assert set(rows[0]) == {"job", "schedule", "command", "log"}
    assert rows[0]["schedule"] == "*/15 * * * *"
    assert rows[0]["log"] == str(workspace.resolve() / "logs" / "listen.log")
    systemd = run("schedule", "show", "--systemd", "-f", "json").json()
    assert systemd[0]["schedule"] == "*:0/15"


# --- install and remove in the crontab ---------------------------------------------------------


def test_install_into_an_empty_crontab_then_again_changes_nothing(
        run: Run, workspace: Path, crontab: Crontab) -> None:
    first = run("schedule", "install")
    assert first.exit_code == 0, first.stderr
    assert "Installed 6 jobs" in first.stdout
    assert (workspace / "logs").is_dir()             # so the jobs' `>> logs/x.log` works
    installed = crontab.read()
    assert installed.decode() == run("schedule", "show").stdout
    assert crontab.writes() == 1

    again = run("schedule", "install")
    assert again.exit_code == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert crontab.read() == installed
    assert crontab.writes() == 1                     # not even rewritten


def test_install_keeps_every_other_line_byte_for_byte_and_replaces_its_block_in_place(
        run: Run, workspace: Path, crontab: Crontab) -> None:
    crontab.table.write_bytes(OTHER_JOBS)
    assert run("schedule", "install").exit_code == 0
    first = crontab.read()
    assert first.startswith(OTHER_JOBS + b"\n# >>> smo ")
    crontab.table.write_bytes(first + b"15 3 * * * /usr/local/bin/after-smo\n")

    config = workspace / "smo.yaml"
    config.write_text(config.read_text().replace("delivery:\n", 'delivery:\n  digest_at: '
                                                 '"06:30"\n'), encoding="utf-8")
    assert run("schedule", "install").exit_code == 0

    table = crontab.read()
    assert table.startswith(OTHER_JOBS + b"\n# >>> smo ")
    assert table.endswith(b"<<<\n15 3 * * * /usr/local/bin/after-smo\n")
    assert _jobs(_block(table, workspace))["digests"].startswith("30 6 * * * ")
    assert table.count(b"# >>> smo ") == 1


def test_remove_takes_out_only_this_workspaces_block(
        run: Run, workspace: Path, crontab: Crontab, tmp_path: Path) -> None:
    other = tmp_path / "other ws"
    assert run("init", str(other), "--org", "Other").exit_code == 0
    crontab.table.write_bytes(OTHER_JOBS + b"\n")
    assert run("-w", str(other), "schedule", "install").exit_code == 0
    with_other = crontab.read()
    assert run("schedule", "install").exit_code == 0
    assert crontab.read().startswith(with_other)

    removed = run("schedule", "remove")
    assert removed.exit_code == 0, removed.stderr
    assert "Removed the jobs" in removed.stdout
    assert crontab.read() == with_other
    assert f"'{other.resolve()}/logs/listen.log'".encode() in with_other   # a quoted path

    again = run("schedule", "remove")
    assert (again.exit_code, "nothing changed" in again.stdout) == (0, True)
    assert run("-w", str(other), "schedule", "remove").exit_code == 0
    assert crontab.read() == OTHER_JOBS + b"\n"


def test_a_start_line_without_its_end_line_is_a_conflict_and_nothing_is_written(
        run: Run, workspace: Path, crontab: Crontab) -> None:
    broken = f"# >>> smo {workspace.resolve()} >>>\n*/15 * * * * smo listen run\n".encode()
    crontab.table.write_bytes(broken)
    for command in ("install", "remove"):
        result = run("schedule", command)
        assert result.exit_code == 4
        assert len(result.stderr.splitlines()) == 1
        assert "without its end line" in result.stderr and "crontab -e" in result.stderr
    assert crontab.read() == broken


def test_no_crontab_program_is_one_clear_line(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run("schedule", "install")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "error: there is no crontab program on this machine — install cron (e.g. apt install "
        "cron), or use `smo schedule install --systemd`"]


def test_a_crontab_that_refuses_the_table_is_a_source_error(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_crontab(tmp_path, monkeypatch, 'echo "crontab: bad minute" >&2; exit 1')
    result = run("schedule", "install")
    assert result.exit_code == 6
    assert result.stderr.splitlines() == [
        "error: `crontab -` refused the new table: crontab: bad minute — nothing was changed"]


# --- the lines really run under sh --------------------------------------------------------------


def _run_like_cron(line: str, path: str) -> None:
    """Run a crontab line's command as cron does: `\\%` becomes `%`, then /bin/sh -c."""
    command = line.split(" ", 5)[5].replace("\\%", "%")
    subprocess.run(["/bin/sh", "-c", command], check=True, timeout=30,
                   env={"PATH": path, "HOME": os.environ["HOME"]})


def _echo_program(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    _program(folder, "smo", '#!/bin/sh\nfor word in "$@"; do echo "[$word]"; done\n')
    return folder / "smo"


def test_the_report_line_asks_for_the_previous_month_under_sh(
        workspace: Path, tmp_path: Path) -> None:
    folder = workspace.parent / "odd 100% ws"
    shutil.copytree(workspace, folder)
    program = _echo_program(tmp_path / "bin")
    plan = schedule.plan(load_workspace(folder), [str(program)])
    (folder / "logs").mkdir(exist_ok=True)
    jobs = _jobs(schedule.cron_block(plan).splitlines())
    _run_like_cron(jobs["report"], os.environ["PATH"])
    _run_like_cron(jobs["listen"], os.environ["PATH"])

    last_month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert (folder / "logs" / "report.log").read_text().splitlines() == [
        "[-w]", f"[{folder.resolve()}]", "[report]", "[executive]", "[--period]",
        f"[{last_month}]", "[--send]"]
    assert (folder / "logs" / "listen.log").read_text().splitlines()[:2] == [
        "[-w]", f"[{folder.resolve()}]"]


def test_in_january_the_report_is_for_december_of_the_year_before(
        workspace: Path, tmp_path: Path) -> None:
    fakes = tmp_path / "bin"
    program = _echo_program(fakes)
    _program(fakes, "date", "#!/bin/sh\necho '2027 01'\n")
    plan = schedule.plan(load_workspace(workspace), [str(program)])
    (workspace / "logs").mkdir(exist_ok=True)
    _run_like_cron(_jobs(schedule.cron_block(plan).splitlines())["report"],
                   f"{fakes}{os.pathsep}{os.environ['PATH']}")
    assert "[2026-12]" in (workspace / "logs" / "report.log").read_text().splitlines()


# --- systemd ------------------------------------------------------------------------------------


def test_systemd_install_writes_units_prints_systemctl_and_is_idempotent(
        run: Run, workspace: Path, tmp_path: Path) -> None:
    units = tmp_path / "home" / ".config" / "systemd" / "user"
    result = run("schedule", "install", "--systemd")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in units.iterdir())
    assert len(names) == 12 and all(re.fullmatch(r"smo-[a-z-]+-[0-9a-f]{8}\.(service|timer)", n)
                                    for n in names)
    timers = " ".join(n for n in names if n.endswith(".timer"))
    assert result.stdout.splitlines() == ["systemctl --user daemon-reload",
                                          f"systemctl --user enable --now {timers}"]
    listen = next(units.glob("smo-listen-*.service")).read_text()
    assert f" -w {workspace.resolve()} listen run --quiet\n" in listen
    assert f"StandardOutput=append:{workspace.resolve()}/logs/listen.log\n" in listen
    digest_timer = next(units.glob("smo-digests-*.timer")).read_text()
    assert "OnCalendar=*-*-* 08:00:00 Europe/Amsterdam\n" in digest_timer
    assert "Persistent=true" in digest_timer
    before = {p.name: p.stat().st_mtime_ns for p in units.iterdir()}

    again = run("schedule", "install", "--systemd")
    assert "up to date" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in units.iterdir()} == before


def test_systemd_units_pass_systemd_analyze_verify(workspace: Path, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    odd = workspace.parent / "ws with \"quotes\" and 50%"
    shutil.copytree(workspace, odd)
    plan = schedule.plan(load_workspace(odd), [sys.executable, "-m", "smo_cli"])
    folder = tmp_path / "units"
    schedule.install_systemd(plan, folder)
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no",
                              *sorted(str(p) for p in folder.iterdir())],
                             capture_output=True, text=True, timeout=60)
    problems = [line for line in checked.stderr.splitlines()
                if "smo-" in line and "Failed to" not in line]  # no user manager in a sandbox
    assert problems == []
    report = next(folder.glob("smo-report-*.service")).read_text()
    assert "TZ=Europe/Amsterdam date '+%%Y %%m'" in report and "$$period" in report


def test_systemd_remove_deletes_units_and_their_links_and_stale_units_go_on_install(
        run: Run, workspace: Path, tmp_path: Path) -> None:
    units = tmp_path / "home" / ".config" / "systemd" / "user"
    assert run("schedule", "install", "--systemd").exit_code == 0
    wants = units / "timers.target.wants"
    wants.mkdir()
    listen_timer = next(units.glob("smo-listen-*.timer"))
    (wants / listen_timer.name).symlink_to(listen_timer)
    (units / "someone-else.timer").write_text("[Timer]\n")

    config = workspace / "smo.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("engage:")], encoding="utf-8")
    reinstalled = run("schedule", "install", "--systemd")
    assert not list(units.glob("smo-publish-due-*"))
    assert reinstalled.stdout.splitlines()[0].startswith("systemctl --user stop smo-publish-due-")

    removed = run("schedule", "remove", "--systemd")
    assert removed.exit_code == 0, removed.stderr
    assert "Deleted 10 unit files" in removed.stdout
    assert sorted(p.name for p in units.iterdir()) == ["someone-else.timer",
                                                       "timers.target.wants"]
    assert list(wants.iterdir()) == []
    assert "systemctl --user daemon-reload" in removed.stdout
    assert "No smo units" in run("schedule", "remove", "--systemd").stdout


# --- notes, and how smo is found ------------------------------------------------------------------


def test_timezone_note_only_when_the_machine_zone_differs(workspace: Path) -> None:
    plan = schedule.plan(load_workspace(workspace), ["smo"])
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert schedule.timezone_note(plan, ZoneInfo("Europe/Amsterdam"), winter) is None
    assert schedule.timezone_note(plan, ZoneInfo("Europe/Brussels"), winter) is None
    note = schedule.timezone_note(plan, ZoneInfo("UTC"), winter)
    assert note is not None and "UTC+00:00" in note and "Europe/Amsterdam" in note
    # Same offset in winter, other DST rules: caught over the year.
    assert schedule.timezone_note(plan, ZoneInfo("Africa/Lagos"), winter) is not None


def test_environment_note_names_variables_the_jobs_would_miss_never_values(run: Run) -> None:
    result = run("schedule", "show", env={"SMO_SMTP_PASSWORD": "hunter2-geheim"})
    assert "SMO_SMTP_PASSWORD" in result.stderr
    assert "hunter2-geheim" not in result.stdout + result.stderr


def test_smo_is_found_as_started_else_on_path_else_as_a_module(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "smo"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert schedule.smo_program(str(script)) == (str(script),)
    assert schedule.smo_program("pytest", which=lambda _: str(script)) == (str(script),)
    assert schedule.smo_program("pytest", which=lambda _: None, executable="/usr/bin/python3") \
        == ("/usr/bin/python3", "-m", "smo_cli")
    module = "/usr/lib/python3/site-packages/smo_cli/__main__.py"
    assert schedule.smo_program(module, which=lambda _: str(script),
                                executable="/usr/bin/python3") == (
        "/usr/bin/python3", "-m", "smo_cli")


def test_replace_block_appends_replaces_and_removes() -> None:
    start, end = "# >>> smo /ws >>>", "# <<< smo /ws <<<"
    block = f"{start}\n* * * * * x\n{end}\n"
    assert schedule.replace_block(b"", start, end, block) == block.encode()
    assert schedule.replace_block(b"a\nb", start, end, block) == b"a\nb\n" + block.encode()
    twice = f"a\n{block}b\n{block}".encode()
    assert schedule.replace_block(twice, start, end, None) == b"a\nb\n"
    new = f"{start}\n0 * * * * y\n{end}\n"
    assert schedule.replace_block(twice, start, end, new) == f"a\n{new}b\n".encode()
    assert schedule.replace_block(b"a\n", start, end, None) == b"a\n"
