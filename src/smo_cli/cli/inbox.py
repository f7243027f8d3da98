"""`smo inbox`: who answers which mention, by when (job 7)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DeptOpt, DryRunOpt, FormatOpt, LimitOpt, command_group
from smo_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from smo_cli.services.inbox_reply import ReplyResult

app = command_group(
    "The inbox: mentions assigned to departments and people, with SLA and history.",
    "smo inbox list --overdue",
    "smo inbox list --dept sales --state new -f json",
    "smo inbox show 12",
    "smo inbox assign 12 --to jan@acme.nl",
    "smo inbox reply 12 'Thanks, we are on it: see https://acme.example/status' --dry-run",
    "smo inbox respond 12 --by jan@acme.nl --how 'called the customer'",
    "smo inbox close 12",
)
ItemArg = Annotated[int, typer.Argument(help="Inbox item id.")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who (e-mail).")]


@app.command("list")
def list_items(
    ctx: typer.Context,
    dept: DeptOpt = None,
    person: Annotated[str | None, typer.Option("--person", help="Assigned to (e-mail).")] = None,
    state: Annotated[str | None, typer.Option("--state", help="new, assigned, responded, "
                                              "closed.")] = None,
    kind: Annotated[str | None, typer.Option("--type", help="question, complaint, lead, press, "
                                             "crisis, praise, other.")] = None,
    priority: Annotated[str | None, typer.Option("--priority")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only past their SLA.")] = False,
    include_closed: Annotated[bool, typer.Option("--all", help="Also closed items.")] = False,
    limit: LimitOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Open inbox items, the most urgent SLA first."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.inbox import INBOX_COLUMNS, InboxFilter, list_items

    flt = InboxFilter(department=dept, person=person, state=state, type=kind,
                      priority=priority, overdue=overdue, include_closed=include_closed,
                      limit=limit)
    with get_app(ctx).reading() as session:
        rows = list_items(session, flt)
    emit_rows(rows, fmt=fmt, columns=INBOX_COLUMNS, empty="The inbox is empty.")


@app.command("show")
def show_item(ctx: typer.Context, item: ItemArg, fmt: FormatOpt = OutputFormat.table) -> None:
    """One item with its mention and history."""
    from smo_cli.render.output import emit_one
    from smo_cli.services.inbox import show_item as show

    with get_app(ctx).reading() as session:
        emit_one(show(session, item), fmt=fmt)


@app.command("assign")
def assign_item(ctx: typer.Context, item: ItemArg,
                to: Annotated[str | None, typer.Option("--to", help="Person (e-mail).")] = None,
                dept: DeptOpt = None, by: ByOpt = None,
                fmt: FormatOpt = OutputFormat.table) -> None:
    """Give an item to a person or a department."""
    from smo_cli.services import inbox

    context = get_app(ctx)
    with context.transaction() as session:
        done = inbox.assign(session, item, person=to, department=dept, actor=by,
                            settings=context.workspace().settings)
        _emit(session, item, fmt, f"Item {done.id} assigned to "
              f"{done.person or 'dept:' + str(done.department)}.")


@app.command("note")
def note_item(ctx: typer.Context, item: ItemArg,
              text: Annotated[str, typer.Argument(help="The note.")], by: ByOpt = None,
              fmt: FormatOpt = OutputFormat.table) -> None:
    """Add a note to an item's history."""
    from smo_cli.services import inbox

    with get_app(ctx).transaction() as session:
        inbox.note(session, item, text, actor=by)
        _emit(session, item, fmt, f"Noted on item {item}.")


@app.command("snooze")
def snooze_item(ctx: typer.Context, item: ItemArg,
                until: Annotated[datetime, typer.Option(
                    "--until", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"])],
                by: ByOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Hide an item from the overdue list until a moment."""
    from datetime import UTC

    from smo_cli.services import inbox

    moment = until.replace(tzinfo=UTC) if until.tzinfo is None else until
    with get_app(ctx).transaction() as session:
        inbox.snooze(session, item, moment, actor=by)
        _emit(session, item, fmt,
              f"Item {item} snoozed until {moment.isoformat(timespec='minutes')}.")


@app.command("respond")
def respond_item(ctx: typer.Context, item: ItemArg,
                 by: Annotated[str, typer.Option("--by", help="Who answered (e-mail).")],
                 how: Annotated[str | None, typer.Option("--how", help="What was done.")] = (
                     None), fmt: FormatOpt = OutputFormat.table) -> None:
    """Record that someone answered (the first time sets the first-response time)."""
    from smo_cli.services import inbox

    with get_app(ctx).transaction() as session:
        done = inbox.respond(session, item, by=by, how=how)
        _emit(session, item, fmt, f"Item {done.id}: response by {by.lower()} recorded.")


@app.command("reply")
def reply_item(
    ctx: typer.Context,
    item: ItemArg,
    text: Annotated[str, typer.Argument(help="The reply.")],
    to: Annotated[str | None, typer.Option(
        "--to", help="The posting account (engage.accounts) when several are on the "
        "mention's platform.")] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Who answers (e-mail; default: officer.email of smo.yaml).")] = None,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Answer an item's mention and record the response. Mastodon and Bluesky mentions get a
    real reply from a posting account; for other sources the link opens (on a terminal) and
    the text is shown to paste. --dry-run shows the requests and records nothing."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_one, note
    from smo_cli.services.inbox_reply import reply

    context = get_app(ctx)
    result = reply(context.engine(), context.workspace(), context.env, item, text, to=to, by=by,
                   dry_run=dry_run)
    for warning in result.warnings:
        note(f"warning: {warning}")
    if fmt is not OutputFormat.table:
        emit_one(result, fmt=fmt)
    elif result.via == "api":
        _show_posted(result)
    else:
        _show_manual(result)
    if result.via == "manual" and result.mention_url and not dry_run and _on_terminal():
        import webbrowser

        webbrowser.open(result.mention_url)
    if result.result in ("retry", "failed"):
        raise typer.Exit(ExitCode.SOURCE)


def _show_posted(result: ReplyResult) -> None:
    from smo_cli.render.output import note, say, to_json

    if result.dry_run:
        say(to_json(result.previews))
        note("Dry run: nothing was stored or sent.")
    elif result.result == "published":
        say(f"Replied on {result.account}: {result.url}")
        note(f"Item {result.item}: response recorded." if result.recorded
             else f"warning: {result.detail}")
    elif result.result == "retry":
        note(f"{result.account}: not published yet ({result.detail}); "
             f"`smo engage publish-due` tries post {result.post_id} again and records the "
             "response then.")
    elif result.result == "failed":
        note(f"{result.account}: the reply was not published: {result.detail}")
    else:
        note(f"Post {result.post_id}: {result.detail}.")


def _show_manual(result: ReplyResult) -> None:
    from smo_cli.render.output import note, say

    say(f"Answer at: {result.mention_url}" if result.mention_url
        else "The mention has no link: answer it where it was posted.")
    say("Paste:")
    say(result.text)
    note("Dry run: nothing was recorded." if result.dry_run
         else f"Item {result.item}: manual response recorded.")


def _on_terminal() -> bool:
    """A person is watching stdout: only then may the command open a browser."""
    return sys.stdout.isatty()


@app.command("close")
def close_item(ctx: typer.Context, item: ItemArg, by: ByOpt = None,
               reason: Annotated[str | None, typer.Option("--reason")] = None,
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Close an item."""
    from smo_cli.services import inbox

    with get_app(ctx).transaction() as session:
        inbox.close(session, item, actor=by, reason=reason)
        _emit(session, item, fmt, f"Item {item} closed.")


@app.command("reopen")
def reopen_item(ctx: typer.Context, item: ItemArg, by: ByOpt = None,
                fmt: FormatOpt = OutputFormat.table) -> None:
    """Reopen a closed item."""
    from smo_cli.services import inbox

    with get_app(ctx).transaction() as session:
        inbox.reopen(session, item, actor=by)
        _emit(session, item, fmt, f"Item {item} reopened.")


def _emit(session: object, item: int, fmt: OutputFormat, message: str) -> None:
    """The changed item as `show` prints it (JSON, CSV), or a one-line confirmation."""
    from sqlmodel import Session

    from smo_cli.render.output import emit_one
    from smo_cli.services.inbox import show_item

    assert isinstance(session, Session)
    emit_one(show_item(session, item), fmt=fmt, message=message)
