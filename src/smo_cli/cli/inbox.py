"""`smo inbox`: who answers which mention, by when (job 7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DeptOpt, FormatOpt, LimitOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "The inbox: mentions assigned to departments and people, with SLA and history.",
    "smo inbox list --overdue",
    "smo inbox list --dept sales --state new -f json",
    "smo inbox show 12",
    "smo inbox assign 12 --to jan@acme.nl",
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
