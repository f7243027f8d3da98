"""Running smo unattended: a marked block in the user's crontab, or systemd user timers.

The block belongs to one workspace (`# >>> smo /abs/workspace >>>` ... `# <<< smo ... <<<`):
installing replaces only that block and keeps every other byte of the crontab, so it is safe to
repeat, and removing takes out only that block. Every job calls smo by its absolute path with
`-w /abs/workspace` (cron starts jobs with a bare PATH in the home folder) and appends its output
to `<workspace>/logs/<job>.log`.

The crontab is read with `crontab -l` and written with `crontab -`, the only portable interface
(the spool file's place and format differ between cron implementations).
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from smo_cli.config import Workspace
from smo_cli.errors import Conflict, InvalidData, NotFound, SourceError

LOG_FOLDER = "logs"
PERIOD = "$period"          # the report's --period, computed by the shell when the job starts
# The month before the current one, in POSIX sh + awk (GNU `date -d` and BSD `date -v` differ).
PREVIOUS_MONTH = ("period=$({tz}date '+%Y %m' | awk '{{ m = $2 - 1; y = $1; "
                  "if (m == 0) {{ m = 12; y-- }} printf \"%d-%02d\", y, m }}')")
CRONTAB_TIMEOUT = 30


@dataclass(frozen=True)
class Job:
    """One unattended job: when it runs (cron fields and systemd OnCalendar) and smo's arguments
    after `-w WORKSPACE`. `local_time` jobs run at a time of day, so their time zone matters."""

    name: str
    what: str
    cron: str
    calendar: str
    args: tuple[str, ...]
    local_time: bool = False


@dataclass(frozen=True)
class Schedule:
    workspace: Path
    program: tuple[str, ...]
    timezone: str                       # business_hours.timezone
    jobs: list[Job]

    @property
    def log_dir(self) -> Path:
        return self.workspace / LOG_FOLDER

    @property
    def start_marker(self) -> str:
        return f"# >>> smo {self.workspace} >>>"

    @property
    def end_marker(self) -> str:
        return f"# <<< smo {self.workspace} <<<"

    @property
    def unit_hash(self) -> str:
        """Tells this workspace's systemd units from another workspace's."""
        return hashlib.sha256(str(self.workspace).encode()).hexdigest()[:8]

    def log(self, job: Job) -> Path:
        return self.log_dir / f"{job.name}.log"

    def command(self, job: Job) -> list[str]:
        return [*self.program, "-w", str(self.workspace), *job.args]


@dataclass
class Outcome:
    """What install or remove did, and the commands left for the officer to run."""

    changed: bool
    where: str
    files: list[Path] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def plan(workspace: Workspace, program: Sequence[str]) -> Schedule:
    """The jobs for this workspace, from smo.yaml (digest time, engage accounts)."""
    root = workspace.root.resolve()
    if "\n" in str(root) or "\r" in str(root):
        raise InvalidData(f"the workspace path {root!r} holds a line break",
                          hint="cron and systemd cannot run it; move the workspace")
    settings = workspace.settings
    digest = settings.delivery.digest_at
    hour, minute = (digest.hour, digest.minute) if digest else (8, 0)
    jobs = [Job("listen", "listen to every due source, route, alert", "*/15 * * * *", "*:0/15",
                ("listen", "run", "--quiet"))]
    if settings.engage.accounts:
        jobs.append(Job("publish-due", "publish scheduled posts", "*/5 * * * *", "*:0/5",
                        ("engage", "publish-due", "--quiet")))
    jobs += [
        Job("outbox", "send queued messages", "*/5 * * * *", "*:0/5", ("outbox", "send")),
        Job("digests", "send the daily digests", f"{minute} {hour} * * *",
            f"*-*-* {hour:02d}:{minute:02d}:00", ("outbox", "send", "--digests"), True),
        Job("inventory-check", "check the inventory's accounts", "0 6 * * 1",
            "Mon *-*-* 06:00:00", ("inventory", "check"), True),
        Job("report", "send last month's executive report", "0 7 1 * *", "*-*-01 07:00:00",
            ("report", "executive", "--period", PERIOD, "--send"), True),
    ]
    return Schedule(root, tuple(program), settings.business_hours.timezone, jobs)


def smo_program(argv0: str, which: Callable[[str], str | None] = shutil.which,
                executable: str = sys.executable) -> tuple[str, ...]:
    """How cron should start this smo: the running `smo` script, else `smo` on PATH, else this
    Python with `-m smo_cli`.

    The path is made absolute but symlinks are kept: a package manager's link
    (/opt/homebrew/bin/smo -> ../Cellar/smo/1.2/bin/smo) survives an upgrade, its target not.
    """
    running = Path(argv0)
    if running.name == "smo" and running.is_file():
        return (str(running.absolute()),)
    if running.name != "__main__.py":
        found = which("smo")
        if found:
            return (str(Path(found).absolute()),)
    return (str(Path(executable).absolute()), "-m", "smo_cli")


def timezone_note(schedule: Schedule, local: tzinfo | None = None,
                  now: datetime | None = None) -> str | None:
    """A warning when this machine's clock zone is not the company's (cron uses the machine's).

    Offsets are compared over a year, so a zone with other DST rules is caught in winter too.
    `local` is for tests; None is the machine's zone.
    """
    company = ZoneInfo(schedule.timezone)
    start = now or datetime.now(UTC)

    def mine(moment: datetime) -> datetime:
        return moment.astimezone(local) if local else moment.astimezone()

    for months in range(0, 12, 3):
        moment = start + timedelta(days=30 * months)
        if mine(moment).utcoffset() != moment.astimezone(company).utcoffset():
            return (f"cron times are this machine's local time (now UTC{_offset(mine(start))}), "
                    f"not {schedule.timezone} (business_hours.timezone): shift them, or set the "
                    "machine's zone")
    return None


def environment_note(env: Mapping[str, str], *, systemd: bool) -> str | None:
    """Cron and systemd start jobs without the shell's environment: name (never show) the SMO_
    variables set here that the jobs would miss."""
    names = sorted(k for k in env if k.startswith("SMO_") and k != "SMO_WORKSPACE")
    if not names:
        return None
    where = ("an Environment= line in a drop-in (systemctl --user edit UNIT)" if systemd
             else "NAME=value lines above smo's block (crontab -e)")
    return (f"the jobs will not see {', '.join(names)} from this shell: set them in {where} "
            "(the database URL may go in smo.yaml as database_url instead)")


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


# --- crontab ------------------------------------------------------------------------------------


def cron_block(schedule: Schedule) -> str:
    """The crontab lines of this workspace, between its markers."""
    lines = [schedule.start_marker,
             "# Written by `smo schedule install`; `smo schedule remove` takes it out again.",
             "# Times are this machine's local time."]
    for job in schedule.jobs:
        lines.append(f"# {job.name}: {job.what}")
        lines.append(f"{job.cron} {_cron_escape(shell_line(schedule, job))}")
    lines.append(schedule.end_marker)
    return "\n".join(lines) + "\n"


def shell_line(schedule: Schedule, job: Job, *, tz: str = "", log: bool = True) -> str:
    """The job as one POSIX shell command line; `tz` (TZ=zone + space) is the zone the month
    is computed in, `log` appends the output to the job's log."""
    line = " ".join('"$period"' if word == PERIOD else shlex.quote(word)
                    for word in schedule.command(job))
    if log:
        line += f" >> {shlex.quote(str(schedule.log(job)))} 2>&1"
    return f"{PREVIOUS_MONTH.format(tz=tz)} && {line}" if PERIOD in job.args else line


def job_rows(schedule: Schedule, *, systemd: bool) -> list[dict[str, str]]:
    """One row per job for `show -f json|csv`: name, when, the shell command and the log."""
    return [{"job": job.name, "schedule": job.calendar if systemd else job.cron,
             "command": shell_line(schedule, job, log=False), "log": str(schedule.log(job))}
            for job in schedule.jobs]


def _cron_escape(line: str) -> str:
    # cron turns an unescaped % into a line break (standard input for the command).
    return line.replace("%", "\\%")


def read_crontab() -> bytes:
    """The user's crontab as bytes (kept exactly); an empty one when the user has none."""
    done = _crontab(["-l"], None)
    if done.returncode == 0:
        return done.stdout
    message = _one_line(done.stderr)
    if "no crontab" in message.lower():
        return b""
    raise SourceError(f"`crontab -l` failed: {message or f'exit {done.returncode}'}")


def write_crontab(table: bytes) -> None:
    done = _crontab(["-"], table)
    if done.returncode != 0:
        raise SourceError(f"`crontab -` refused the new table: "
                          f"{_one_line(done.stderr) or f'exit {done.returncode}'}",
                          hint="nothing was changed")


def _crontab(args: list[str], table: bytes | None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["crontab", *args], input=table, capture_output=True,
                              timeout=CRONTAB_TIMEOUT, check=False)
    except FileNotFoundError:
        raise NotFound("there is no crontab program on this machine",
                       hint="install cron (e.g. apt install cron), or use "
                       "`smo schedule install --systemd`") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"`crontab {' '.join(args)}` did not answer within "
                          f"{CRONTAB_TIMEOUT} s") from None


def _one_line(stderr: bytes) -> str:
    return " ".join(stderr.decode("utf-8", "replace").split())


def replace_block(table: bytes, start: str, end: str, block: str | None) -> bytes:
    """The table with the block between the markers replaced (None: removed), or appended when
    it was not there. Every other byte stays as it was."""
    lines = table.splitlines(keepends=True)
    start_line, end_line = start.encode(), end.encode()
    kept: list[bytes] = []
    placed = False
    index = 0
    while index < len(lines):
        if lines[index].rstrip() != start_line:
            kept.append(lines[index])
            index += 1
            continue
        close = next((i for i in range(index + 1, len(lines))
                      if lines[i].rstrip() == end_line), None)
        if close is None:
            raise Conflict(f"the crontab has smo's start line without its end line "
                           f"(line {index + 1}: {start})",
                           hint="fix it with `crontab -e`, then run this again")
        if block is not None and not placed:
            kept.append(block.encode())
            placed = True
        index = close + 1
    if block is not None and not placed:
        if kept and not kept[-1].endswith(b"\n"):
            kept[-1] += b"\n"
        kept.append(block.encode())
    return b"".join(kept)


def install_cron(schedule: Schedule) -> Outcome:
    """Write this workspace's block into the crontab (no write when it is already there)."""
    schedule.log_dir.mkdir(parents=True, exist_ok=True)
    table = read_crontab()
    updated = replace_block(table, schedule.start_marker, schedule.end_marker,
                            cron_block(schedule))
    if updated != table:
        write_crontab(updated)
    return Outcome(changed=updated != table, where="crontab")


def remove_cron(schedule: Schedule) -> Outcome:
    table = read_crontab()
    updated = replace_block(table, schedule.start_marker, schedule.end_marker, None)
    if updated != table:
        write_crontab(updated)
    return Outcome(changed=updated != table, where="crontab")


# --- systemd user timers ------------------------------------------------------------------------


def systemd_dir(env: Mapping[str, str]) -> Path:
    """Where systemd looks for a user's own units: $XDG_CONFIG_HOME/systemd/user."""
    config = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(config) / "systemd" / "user"


def unit_name(schedule: Schedule, job: Job) -> str:
    return f"smo-{job.name}-{schedule.unit_hash}"


def systemd_units(schedule: Schedule) -> dict[str, str]:
    """File name -> text of each job's service and timer."""
    units: dict[str, str] = {}
    for job in schedule.jobs:
        name = unit_name(schedule, job)
        log = _specifiers(str(schedule.log(job)))
        if PERIOD in job.args:
            script = shell_line(schedule, job, tz=f"TZ={shlex.quote(schedule.timezone)} ",
                                log=False)
            start = f"/bin/sh -c {_exec_word(script)}"
        else:
            start = " ".join(_exec_word(word) for word in schedule.command(job))
        about = _specifiers(f"smo {job.name} for {schedule.workspace}: {job.what}")
        units[f"{name}.service"] = (
            f"# Written by `smo schedule install --systemd`; `smo schedule remove --systemd` "
            f"deletes it.\n[Unit]\nDescription={about}\n\n[Service]\nType=oneshot\n"
            f"ExecStart={start}\nStandardOutput=append:{log}\nStandardError=append:{log}\n")
        # Times of day follow the company's zone; Persistent catches up after the machine slept.
        calendar = f"{job.calendar} {schedule.timezone}" if job.local_time else job.calendar
        units[f"{name}.timer"] = (
            f"# Written by `smo schedule install --systemd`.\n[Unit]\nDescription={about}\n\n"
            f"[Timer]\nOnCalendar={calendar}\nPersistent=true\n\n"
            f"[Install]\nWantedBy=timers.target\n")
    return units


def _specifiers(text: str) -> str:
    return text.replace("%", "%%")


def _exec_word(word: str) -> str:
    """One ExecStart argument: quoted when needed, with systemd's % and $ expansion escaped."""
    word = _specifiers(word).replace("$", "$$")
    if word and not re.search(r"[\s\"'\\;]", word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def install_systemd(schedule: Schedule, directory: Path) -> Outcome:
    """Write the units (only those that changed) and delete this workspace's stale ones."""
    schedule.log_dir.mkdir(parents=True, exist_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    units = systemd_units(schedule)
    written = []
    for name, text in units.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    stale = [p for p in _our_units(schedule, directory) if p.name not in units]
    _delete(stale, directory)
    timers = sorted(n for n in units if n.endswith(".timer"))
    commands = ["systemctl --user daemon-reload",
                f"systemctl --user enable --now {' '.join(timers)}"]
    gone = sorted(p.name for p in stale if p.suffix == ".timer")
    if gone:
        commands.insert(0, f"systemctl --user stop {' '.join(gone)}")
    return Outcome(changed=bool(written or stale), where=str(directory),
                   files=written + stale, commands=commands)


def remove_systemd(schedule: Schedule, directory: Path) -> Outcome:
    ours = _our_units(schedule, directory)
    _delete(ours, directory)
    timers = sorted(p.name for p in ours if p.suffix == ".timer")
    commands = ([f"systemctl --user stop {' '.join(timers)}", "systemctl --user daemon-reload"]
                if timers else [])
    return Outcome(changed=bool(ours), where=str(directory), files=ours, commands=commands)


def _our_units(schedule: Schedule, directory: Path) -> list[Path]:
    pattern = f"smo-*-{schedule.unit_hash}.*"
    return sorted(p for p in directory.glob(pattern) if p.suffix in (".service", ".timer"))


def _delete(units: Sequence[Path], directory: Path) -> None:
    # `enable` links timers into timers.target.wants; a link to a deleted unit would dangle.
    names = {p.name for p in units}
    wants = directory / "timers.target.wants"
    for link in (wants.glob("smo-*") if wants.is_dir() else []):
        if link.name in names:
            link.unlink()
    for path in units:
        path.unlink(missing_ok=True)
