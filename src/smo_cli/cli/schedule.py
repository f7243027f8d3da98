"""`smo schedule`: put smo's unattended jobs in the user's crontab (or systemd user timers)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from smo_cli.cli._context import AppContext, get_app
from smo_cli.cli._options import FormatOpt, command_group
from smo_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from smo_cli.services.schedule import Schedule

app = command_group(
    "Run smo unattended: listen, publish, send, digests, checks and the monthly report.",
    "smo schedule show                # the crontab lines, without installing them",
    "smo -w /srv/acme schedule install",
    "smo schedule install --systemd   # user timers instead of cron",
    "smo schedule remove",
)
SystemdOpt = Annotated[bool, typer.Option(
    "--systemd", help="systemd user timers (~/.config/systemd/user) instead of the crontab.")]
JOB_COLUMNS = ["job", "schedule", "command", "log"]


def _plan(context: AppContext) -> Schedule:
    from smo_cli.services import schedule

    return schedule.plan(context.workspace(), schedule.smo_program(sys.argv[0]))


@app.command("show")
def show_schedule(ctx: typer.Context, systemd: SystemdOpt = False,
                  fmt: FormatOpt = OutputFormat.table) -> None:
    """Print what install would write; change nothing.

    The crontab block (or, with --systemd, the unit files); -f json lists the jobs.
    """
    from smo_cli.render.output import emit_rows, say
    from smo_cli.services import schedule

    context = get_app(ctx)
    plan = _plan(context)
    if fmt is not OutputFormat.table:
        emit_rows(schedule.job_rows(plan, systemd=systemd), fmt=fmt, columns=JOB_COLUMNS)
    elif systemd:
        folder = schedule.systemd_dir(context.env)
        for name, text in schedule.systemd_units(plan).items():
            say(f"# {folder / name}\n{text}")
    else:
        say(schedule.cron_block(plan).rstrip("\n"))
    _notes(context, plan, systemd=systemd)


@app.command("install")
def install_schedule(ctx: typer.Context, systemd: SystemdOpt = False) -> None:
    """Install the jobs in the crontab (or as systemd timers).

    Replaces this workspace's block and keeps the rest of the crontab byte for byte; safe to
    run again after changing smo.yaml. With --systemd, writes user units and prints the
    systemctl commands that enable them.
    """
    from smo_cli.render.output import note, say
    from smo_cli.services import schedule

    context = get_app(ctx)
    plan = _plan(context)
    if systemd:
        done = schedule.install_systemd(plan, schedule.systemd_dir(context.env))
        note(f"Wrote {len(done.files)} unit files in {done.where}." if done.changed
             else f"The units in {done.where} are up to date.")
        note("Enable the timers with:")
        for line in done.commands:
            say(line)
    else:
        done = schedule.install_cron(plan)
        say(f"Installed {len(plan.jobs)} jobs for {plan.workspace} in the crontab; logs in "
            f"{plan.log_dir}." if done.changed
            else f"The crontab already holds these jobs for {plan.workspace}; nothing changed.")
    _notes(context, plan, systemd=systemd)


@app.command("remove")
def remove_schedule(ctx: typer.Context, systemd: SystemdOpt = False) -> None:
    """Remove this workspace's jobs.

    Only smo's block for this workspace goes; the rest of the crontab stays as it is.
    """
    from smo_cli.render.output import note, say
    from smo_cli.services import schedule

    context = get_app(ctx)
    plan = _plan(context)
    if systemd:
        done = schedule.remove_systemd(plan, schedule.systemd_dir(context.env))
        say(f"Deleted {len(done.files)} unit files from {done.where}." if done.changed
            else f"No smo units for {plan.workspace} in {done.where}.")
        if done.commands:
            note("Stop the timers with:")
        for line in done.commands:
            say(line)
        return
    done = schedule.remove_cron(plan)
    say(f"Removed the jobs for {plan.workspace} from the crontab." if done.changed
        else f"The crontab holds no jobs for {plan.workspace}; nothing changed.")


def _notes(context: AppContext, plan: Schedule, *, systemd: bool) -> None:
    from smo_cli.render.output import note
    from smo_cli.services import schedule

    zone = None if systemd else schedule.timezone_note(plan)
    for text in (zone, schedule.environment_note(context.env, systemd=systemd)):
        if text:
            note(f"note: {text}")
