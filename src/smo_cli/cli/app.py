"""The root `smo` command: global options, lazily loaded command groups, and error handling.

Command groups are imported only when invoked, so `smo --help` costs little more than importing
Typer. Every `SmoError` becomes one line on stderr and its exit code; anything else is a bug, shown
as a traceback only with `--debug`.
"""

from __future__ import annotations

import copy
import gc
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from smo_cli import __version__
from smo_cli.cli._context import AppContext

# name -> (module holding `app`, one-line help shown by `smo --help` without importing it)
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "init": ("smo_cli.cli.init", "Create a workspace: a commented smo.yaml and the database."),
    "config": ("smo_cli.cli.config", "Show the effective configuration and where it lives."),
    "db": ("smo_cli.cli.db", "The database: schema, backup, restore, stats, purge, copy."),
    "org": ("smo_cli.cli.org", "The organisation: departments and people."),
    "inventory": (
        "smo_cli.cli.inventory",
        "Presence inventory (job 3): accounts, targets, gaps, checks, audit.",
    ),
    "sources": ("smo_cli.cli.sources", "Listening sources (job 6): feeds and platforms."),
    "queries": ("smo_cli.cli.queries", "Saved Boolean queries that decide what is kept."),
    "listen": ("smo_cli.cli.listen", "Run listening (for cron) and see past runs."),
    "mentions": ("smo_cli.cli.mentions", "Mentions kept by listening: list, show, search."),
    "route": ("smo_cli.cli.route", "Routing rules (job 7): lint, test, explain."),
    "inbox": ("smo_cli.cli.inbox", "The inbox: who answers which mention, by when."),
    "outbox": ("smo_cli.cli.outbox", "Messages to departments and people: send, list, retry."),
    "policy": ("smo_cli.cli.policy", "The social media policy (job 4): init, check, generate."),
    "training": ("smo_cli.cli.training", "Training (job 5): courses, sessions, invites, coverage."),
    "awareness": ("smo_cli.cli.awareness", "Awareness (job 1): campaigns, surveys, reach."),
    "strategy": ("smo_cli.cli.strategy", "Social media strategy (job 2): init, check, generate."),
    "engage": ("smo_cli.cli.engage", "Conversation (job 8): content calendar, posting, replies."),
    "me": ("smo_cli.cli.me", "Staying active yourself (job 10): practice log, goals, stats."),
    "privacy": ("smo_cli.cli.privacy", "Personal data (GDPR): export or erase one person's data."),
    "kpi": ("smo_cli.cli.kpi", "KPIs and ROI (job 9): targets, actuals with formulas, costs."),
    "report": ("smo_cli.cli.report", "Reports: one page for the CEO, one per department."),
    "schedule": ("smo_cli.cli.schedule", "Run unattended: install smo's jobs in cron or systemd."),
    "doctor": ("smo_cli.cli.doctor", "Health check: config, database, secrets, jobs, sources."),
}


class LazyGroup(TyperGroup):
    """A Typer group whose sub-groups are imported on first use."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loaded: dict[str, Any] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *COMMAND_GROUPS]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Remember the word after the group's name (`list` in `smo inventory list`), so only
        # that command is built; Typer would otherwise build all of the group's commands.
        self._next_word = args[1] if len(args) > 1 else None
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMAND_GROUPS:
            return command
        if cmd_name not in self._loaded:
            module = importlib.import_module(COMMAND_GROUPS[cmd_name][0])
            loaded = _build(module.app, getattr(self, "_next_word", None))
            loaded.name = cmd_name
            self._loaded[cmd_name] = loaded
            # Everything imported so far lives as long as the process: move it out of the
            # cyclic collector's sight, so building thousands of rows does not make it rescan
            # SQLAlchemy's and pydantic's object graphs (about 100 ms on a 10,000-row list).
            gc.freeze()
        return self._loaded[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:  # noqa: ARG002
        rows = [(name, help_text) for name, (_, help_text) in COMMAND_GROUPS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            return _handle_exception(ctx, exc)
        except KeyboardInterrupt:
            from smo_cli.errors import ExitCode
            from smo_cli.render.output import error

            error("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        finally:
            if isinstance(ctx.obj, AppContext):
                ctx.obj.close()


def _build(group: typer.Typer, name: str | None) -> Any:
    """The Click command for a group, with just the named command or sub-group built.

    Anything else (`--help`, a typo, an argument) builds the whole group, so help listings and
    "no such command" suggestions stay complete. A one-command app (`smo init`) stays a command.
    """
    commands = [c for c in group.registered_commands if c.name == name]
    groups = [g for g in group.registered_groups if g.name == name]
    is_group = len(group.registered_commands) + len(group.registered_groups) > 1
    if not is_group or not (commands or groups):
        return typer.main.get_command(group)
    narrowed = copy.copy(group)
    narrowed.registered_commands = commands
    narrowed.registered_groups = groups
    return typer.main.get_group(narrowed)


def debug_of(ctx: Any) -> bool:
    return isinstance(ctx.obj, AppContext) and ctx.obj.debug


def _database_advice(reason: str) -> str:
    """What to do about a database error: waiting helps only when another process holds it."""
    lowered = reason.lower()
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return "the database (or its folder) cannot be written: check its owner and permissions"
    if "full" in lowered or "disk i/o" in lowered or "no space" in lowered:
        return "the disk may be full: free space, then run again (nothing was half-written)"
    if "locked" in lowered or "busy" in lowered or "could not obtain lock" in lowered:
        return "another smo may be writing; try again"
    return "check the database with `smo db status`, then try again"


def _handle_exception(ctx: Any, exc: Exception) -> Any:
    from smo_cli.errors import ExitCode, SmoError
    from smo_cli.render.output import error

    if isinstance(exc, typer.Abort):
        # Ctrl-C or Ctrl-D at a prompt: the same as Ctrl-C anywhere else.
        error("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if isinstance(exc, typer.Exit) or type(exc).__module__.startswith("typer."):
        raise exc
    if isinstance(exc, BrokenPipeError):
        # The reader (head, less) went away: stop quietly, as every Unix tool does.
        _silence_stdout()
        raise typer.Exit(ExitCode.OK) from None
    if type(exc).__module__.startswith("sqlalchemy"):
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError) and not debug_of(ctx):
            reason = " ".join(str(exc.orig).split())
            error(f"database error: {reason}", _database_advice(reason))
            raise typer.Exit(ExitCode.SOURCE) from None
    debug = debug_of(ctx)
    if isinstance(exc, SmoError):
        if debug:
            raise exc
        error(exc.message, exc.hint)
        raise typer.Exit(exc.exit_code) from None
    if debug:
        raise exc
    error(f"internal error: {type(exc).__name__}: {exc}",
          "this is a bug in smo; run again with --debug for the traceback")
    raise typer.Exit(ExitCode.ERROR) from None


app = typer.Typer(
    cls=LazyGroup,
    name="smo",
    help="smo: the toolkit of the solo social media officer.\n\n"
    "Run `smo COMMAND --help` for the commands of a group.",
    epilog="Examples:\n\n\b\n  smo init acme --org 'Acme B.V.' --lang nl\n"
    "  smo -w acme inventory list -f json\n  smo inventory gap --dept sales",
    rich_markup_mode=None,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"smo {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace folder (default: $SMO_WORKSPACE, then "
                     "the nearest smo.yaml upward, then the user data folder).",
                     file_okay=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True,
                     help="Show the version and exit."),
    ] = False,
) -> None:
    """Kept cheap: it runs even for --help (no database, no network)."""
    if not isinstance(ctx.obj, AppContext):
        ctx.obj = AppContext()
    ctx.obj.workspace_option = workspace if workspace is not None else ctx.obj.workspace_option
    ctx.obj.debug = debug or ctx.obj.debug


def _silence_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    try:
        app()
    except SystemExit:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        raise
