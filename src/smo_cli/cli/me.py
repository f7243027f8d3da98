"""`smo me`: staying active personally, as continuous training (job 10): a practice log,
learning goals, and stats on the officer's own posting."""

from __future__ import annotations

import difflib
import sys
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, LimitOpt, YesOpt, command_group, confirmed
from smo_cli.render.output import OutputFormat, sparkline

if TYPE_CHECKING:
    from smo_cli.config import Workspace


class _LogGroup(TyperGroup):
    """`smo me log "TEXT"` is short for `smo me log add "TEXT"`: the everyday command stays
    short, while list, edit and remove are still sub-commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            if " " not in args[0]:
                # `smo me log lst` is far more likely a typo than a one-word entry.
                close = difflib.get_close_matches(args[0], list(self.commands), n=1, cutoff=0.75)
                if close:
                    from smo_cli.errors import UsageError

                    raise UsageError(f"did you mean `smo me log {close[0]}`?",
                                     hint=f"to log the word, run `smo me log add {args[0]}`")
            args = ["add", *args]
        parsed: list[str] = super().parse_args(ctx, args)
        return parsed


app = command_group(
    "Staying active personally (job 10): a practice log, learning goals, your stats.",
    'smo me log "Tried a carousel on LinkedIn" --tag linkedin --tag carousel',
    "smo me goals add 'Learn Bluesky custom feeds' --by 2026-12-31",
    "smo me stats --weeks 12",
)
log_app = command_group(
    'What you tried and what came of it. `smo me log "TEXT"` is short for '
    '`smo me log add "TEXT"`.',
    'smo me log "Posted a 30-second video on Mastodon" --tag video '
    "--link https://mastodon.social/@me/1",
    "smo me log list --tag video --since 2026-09-01",
    "smo me log edit 3 --outcome 'Twice the usual replies'",
    "smo me log remove 3",
    cls=_LogGroup,
)
goals_app = command_group(
    "Learning goals with target dates; open goals past their date are overdue.",
    "smo me goals add 'Give a workshop on alt texts' --by 2027-03-01",
    "smo me goals list --open",
    "smo me goals done 2 --on 2026-11-20",
)
app.add_typer(log_app, name="log")
app.add_typer(goals_app, name="goals")

TagOpt = Annotated[list[str] | None, typer.Option(
    "--tag", "-t", help="A tag; repeat it or separate tags with commas.")]
LinkOpt = Annotated[str | None, typer.Option("--link", help="An http(s) link to the post or "
                                             "article.")]
OutcomeOpt = Annotated[str | None, typer.Option("--outcome", help="What came of it.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="The day you did it (default: "
                                             "today; never in the future).")]
EntryId = Annotated[int, typer.Argument(help="Entry id (see `smo me log list`).")]
GoalId = Annotated[int, typer.Argument(help="Goal id (see `smo me goals list`).")]


def _day(raw: str | None, option: str) -> date | None:
    from smo_cli.services.practice import parse_day

    return None if raw is None else parse_day(raw, option)


@log_app.command("add")
def add_entry(ctx: typer.Context,
              text: Annotated[str, typer.Argument(help="What you tried, in a sentence.")],
              tag: TagOpt = None, link: LinkOpt = None, outcome: OutcomeOpt = None,
              on: DateOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Log what you tried (the default command: `smo me log "TEXT"`)."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import practice

    context = get_app(ctx)
    today = _today(context.workspace())
    with context.transaction() as session:
        entry = practice.add_entry(session, text=text, today=today, tags=tag or [], link=link,
                                   outcome=outcome, on=_day(on, "--date"))
        row = practice.entry_row(entry)
    emit_one(row, fmt=fmt, message=f"Logged entry {row['id']} on {row['logged_on']}.")


@log_app.command("list")
def list_entries(ctx: typer.Context,
                 tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only this tag.")]
                 = None,
                 since: Annotated[str | None, typer.Option("--since", help="From this day on.")]
                 = None,
                 limit: LimitOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The practice log, oldest first (with -n, the latest N entries)."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import practice

    with get_app(ctx).reading() as session:
        entries = practice.list_entries(session, tag=tag, since=_day(since, "--since"))
        rows = [practice.entry_row(e) for e in entries]
    emit_rows(rows[-limit:] if limit else rows, fmt=fmt, columns=practice.ENTRY_COLUMNS,
              empty="Nothing logged yet: `smo me log \"what you tried\"`.")


@log_app.command("edit")
def edit_entry(ctx: typer.Context, entry_id: EntryId,
               text: Annotated[str | None, typer.Option("--text", help="New text.")] = None,
               tag: Annotated[list[str] | None, typer.Option(
                   "--tag", "-t", help="Replace the tags (repeat for several).")] = None,
               link: Annotated[str | None, typer.Option(
                   "--link", help="New link; '' removes it.")] = None,
               outcome: Annotated[str | None, typer.Option(
                   "--outcome", help="What came of it; '' removes it.")] = None,
               on: DateOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Change an entry; most often to add its outcome once you know it."""
    from smo_cli.errors import UsageError
    from smo_cli.render.output import emit_one
    from smo_cli.services import practice

    changes = practice.EntryChanges(text=text, tags=tag, link=link, outcome=outcome,
                                    on=_day(on, "--date"))
    if changes.empty():
        raise UsageError("nothing to change", hint="see `smo me log edit --help`")
    context = get_app(ctx)
    today = _today(context.workspace())
    with context.transaction() as session:
        row = practice.entry_row(practice.edit_entry(session, entry_id, changes, today=today))
    emit_one(row, fmt=fmt, message=f"Updated entry {entry_id}.")


@log_app.command("remove")
def remove_entry(ctx: typer.Context, entry_id: EntryId, yes: YesOpt = False) -> None:
    """Remove an entry from the log."""
    from smo_cli.render.output import say
    from smo_cli.services import practice

    if not confirmed(f"Remove log entry {entry_id}?", yes):
        say("Nothing removed.")
        return
    with get_app(ctx).transaction() as session:
        practice.remove_entry(session, entry_id)
    say(f"Removed entry {entry_id}.")


@goals_app.command("add")
def add_goal(ctx: typer.Context,
             text: Annotated[str, typer.Argument(help="What you want to learn or be able to do.")],
             by: Annotated[str | None, typer.Option("--by", help="Target date (today or later).")]
             = None,
             fmt: FormatOpt = OutputFormat.table) -> None:
    """Add a learning goal, with a target date if you like."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import practice

    context = get_app(ctx)
    today = _today(context.workspace())
    with context.transaction() as session:
        row = practice.goal_row(practice.add_goal(session, text=text, today=today,
                                                  by=_day(by, "--by")), today)
    when = f", by {row['target_date']}" if row["target_date"] else ""
    emit_one(row, fmt=fmt, message=f"Added goal {row['id']}{when}.")


@goals_app.command("list")
def list_goals(ctx: typer.Context,
               only_open: Annotated[bool, typer.Option("--open", help="Only open goals.")]
               = False,
               only_done: Annotated[bool, typer.Option("--done", help="Only goals met.")]
               = False,
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Learning goals: open ones first, by target date (state `overdue` past it), then met."""
    from smo_cli.errors import UsageError
    from smo_cli.render.output import emit_rows, note, plural
    from smo_cli.services import practice

    if only_open and only_done:
        raise UsageError("--open and --done exclude each other")
    context = get_app(ctx)
    today = _today(context.workspace())
    with context.reading() as session:
        goals = practice.list_goals(
            session, state="open" if only_open else "done" if only_done else "all")
        rows = [practice.goal_row(g, today) for g in goals]
    emit_rows(rows, fmt=fmt, columns=practice.GOAL_COLUMNS, empty="No learning goals.")
    overdue = sum(row["state"] == "overdue" for row in rows)
    if overdue:
        note(f"{plural(overdue, 'goal is', 'goals are')} overdue.")


@goals_app.command("done")
def complete_goal(ctx: typer.Context, goal_id: GoalId,
                  on: Annotated[str | None, typer.Option(
                      "--on", help="The day you met it (default: today).")] = None) -> None:
    """Mark a goal as met."""
    from smo_cli.render.output import say
    from smo_cli.services import practice

    context = get_app(ctx)
    today = _today(context.workspace())
    with context.transaction() as session:
        goal = practice.complete_goal(session, goal_id, today=today, on=_day(on, "--on"))
        done_on = goal.done_on
    say(f"Goal {goal_id} met on {done_on}.")


@goals_app.command("remove")
def remove_goal(ctx: typer.Context, goal_id: GoalId, yes: YesOpt = False) -> None:
    """Remove a learning goal."""
    from smo_cli.render.output import say
    from smo_cli.services import practice

    if not confirmed(f"Remove goal {goal_id}?", yes):
        say("Nothing removed.")
        return
    with get_app(ctx).transaction() as session:
        practice.remove_goal(session, goal_id)
    say(f"Removed goal {goal_id}.")


class StatsFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("stats")
def show_stats(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=520, help="Weeks to show.")] = 12,
    months: Annotated[int, typer.Option("--months", min=1, max=120, help="Months to show.")]
    = 6,
    account: Annotated[str | None, typer.Option(
        "--account", help="Only this engage account (a name from smo.yaml).")] = None,
    all_accounts: Annotated[bool, typer.Option(
        "--all-accounts", help="The company's accounts too, not only owner: officer.")] = False,
    fmt: Annotated[StatsFormat, typer.Option("--format", "-f", help="Output format.",
                                             case_sensitive=False)] = StatsFormat.table,
) -> None:
    """Posts per week and platform, your streak, engagement trend, log and goals per month."""
    from smo_cli.render.output import emit_one, emit_rows, note, say
    from smo_cli.services.practice_stats import practice_stats

    context = get_app(ctx)
    workspace = context.workspace()
    with context.reading() as session:
        stats = practice_stats(session, workspace.settings,
                               today=_today(workspace), weeks=weeks,
                               months=months, account=account, all_accounts=all_accounts)
    if stats.scope == "officer" and not stats.accounts:
        note("No engage account in smo.yaml has `owner: officer`, so no posts are counted; "
             "add yours, or use --all-accounts.")
    if fmt is StatsFormat.json:
        emit_one(stats.as_dict(), fmt=OutputFormat.json)
        return
    who = {"all": "all accounts", "officer": "your accounts"}.get(stats.scope, "account")
    say(f"Posts per week, {who}: {', '.join(stats.accounts) or 'none'}")
    emit_rows(stats.week_rows(), fmt=OutputFormat.table)
    if _on_terminal():
        say(f"posts per week  {sparkline([w.total for w in stats.weeks])}  "
            f"{stats.weeks[0].week} to {stats.weeks[-1].week}")
    streak = stats.streak
    say(f"Streak: {streak.weeks} week{'s' if streak.weeks != 1 else ''}"
        + (f", through {streak.through}" if streak.through else "")
        + f" ({streak.rule}).")
    emit_rows(stats.month_rows(), fmt=OutputFormat.table, title="Per month")
    say(f"Engagement mean: {stats.engagement_rule}.")
    say(f"Goals: {stats.goals_open} open, {stats.goals_overdue} overdue.")


def _on_terminal() -> bool:
    return sys.stdout.isatty()


def _today(workspace: Workspace) -> date:
    from smo_cli.services import business_hours

    return business_hours.local_today(workspace)
