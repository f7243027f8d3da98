"""`smo outbox`: messages to departments and people — what is waiting, sent or failed (job 7)."""

from __future__ import annotations

from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DryRunOpt, FormatOpt, LimitOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "The outbox: e-mail and chat messages queued by routing; send, list, retry.",
    "smo outbox send                 # immediate messages (listen run does this too)",
    "smo outbox send --digests       # also the digests (e.g. daily from cron at 08:00)",
    "smo outbox send --digests --dry-run",
    "smo outbox list --state failed",
    "smo outbox retry 7",
)


@app.command("send")
def send_outbox(
    ctx: typer.Context,
    digests: Annotated[bool, typer.Option("--digests", help="Also send digests.")] = False,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Send the messages that are due; failures are retried later or marked failed."""
    from smo_cli.render.output import emit_rows, note
    from smo_cli.services.outbox import deliver

    context = get_app(ctx)
    report = deliver(context.engine(), context.workspace(), context.env, digests=digests,
                     dry_run=dry_run)
    if dry_run:
        emit_rows(report.previews, fmt=fmt, columns=["channel", "to", "subject", "messages"],
                  empty="Nothing to send.")
        note("Dry run: nothing was sent.")
        return
    note(f"Sent {report.sent}, failed {report.failed}, retrying later {report.retrying}.")
    if report.failed and not report.sent:
        from smo_cli.errors import ExitCode

        raise typer.Exit(ExitCode.SOURCE)


@app.command("list")
def list_outbox(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option("--state", help="pending, sent or failed.")] = (
        None),
    limit: LimitOpt = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Outbox messages, newest first."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.outbox import OUTBOX_COLUMNS, list_outbox

    with get_app(ctx).reading() as session:
        rows = list_outbox(session, state, limit)
    emit_rows(rows, fmt=fmt, columns=OUTBOX_COLUMNS, empty="The outbox is empty.")


@app.command("show")
def show_outbox(ctx: typer.Context,
                message_id: Annotated[int, typer.Argument(help="Outbox message id.")],
                fmt: FormatOpt = OutputFormat.table) -> None:
    """One outbox message."""
    from smo_cli.errors import NotFound
    from smo_cli.render.output import emit_one
    from smo_cli.services.outbox import OUTBOX_COLUMNS

    with get_app(ctx).reading() as session:
        from smo_cli.db.models import OutboxMessage

        row = session.get(OutboxMessage, message_id)
        if row is None:
            raise NotFound(f"no outbox message {message_id}", hint="see `smo outbox list`")
        emit_one({c: getattr(row, c) for c in OUTBOX_COLUMNS}, fmt=fmt)


@app.command("retry")
def retry_outbox(ctx: typer.Context,
                 message_id: Annotated[int, typer.Argument(help="Outbox message id.")]) -> None:
    """Queue a failed or waiting message for the next `smo outbox send`."""
    from smo_cli.render.output import say
    from smo_cli.services.outbox import retry

    with get_app(ctx).transaction() as session:
        retry(session, message_id)
    say(f"Outbox message {message_id} will be sent by the next `smo outbox send`.")
