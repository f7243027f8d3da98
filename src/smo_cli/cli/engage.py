"""`smo engage`: the content calendar, and posting through the platforms' APIs (job 8)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DryRunOpt, FormatOpt, OutOpt, QuietOpt, command_group
from smo_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from smo_cli.services.engage_publish import PublishReport

app = command_group(
    "Conversation (job 8): the content calendar, posting to Mastodon and Bluesky.",
    "smo engage accounts check",
    "smo engage post 'Wij zoeken een monteur! https://acme.example/vacatures #vacature' "
    "--to mastodon,bluesky --at '2026-12-01 09:30'",
    "smo engage post 'Nieuw pand' --to acme-bluesky --media pand.jpg --alt 'Het pand' --dry-run",
    "smo engage list --state scheduled",
    "smo engage calendar --format ics -o kalender.ics",
    "smo engage import kalender.csv",
    "smo engage publish-due -q          # from cron: */5 * * * *",
)
accounts_app = command_group(
    "The posting accounts of smo.yaml (engage.accounts) and their credentials.",
    "smo engage accounts list",
    "smo engage accounts check",
)
app.add_typer(accounts_app, name="accounts")


class CalendarFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    ics = "ics"


ToOpt = Annotated[str, typer.Option(
    "--to", help="Accounts, comma-separated: names from smo.yaml, or mastodon / bluesky when "
    "one account is on it.")]
AtOpt = Annotated[str | None, typer.Option(
    "--at", help="When, local time (business_hours.timezone): '2026-12-01 09:30' or now.")]
MediaOpt = Annotated[list[Path] | None, typer.Option(
    "--media", help="An image (JPEG, PNG, GIF, WebP); repeat for more, each with --alt.")]
AltOpt = Annotated[list[str] | None, typer.Option(
    "--alt", help="The alt text of the --media before it: what the image shows.")]
LangPostOpt = Annotated[str | None, typer.Option(
    "--lang", help="The post's language (default: detected, else smo.yaml's language).")]
ReplyOpt = Annotated[str | None, typer.Option(
    "--reply-to", help="Answer a post: its link, an at:// URI, or an inbox item id.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day, e.g. 2026-12-01.")]
UntilOpt = Annotated[str | None, typer.Option("--to", help="Last day (included).")]
PostIdArg = Annotated[int, typer.Argument(help="Post id (see `smo engage list`).")]


@accounts_app.command("list")
def list_accounts(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """The posting accounts, and whether their secret is set (never its value)."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.engage import ACCOUNT_COLUMNS, account_rows

    context = get_app(ctx)
    emit_rows(account_rows(context.workspace().settings, context.env), fmt=fmt,
              columns=ACCOUNT_COLUMNS, empty="No posting accounts: add engage.accounts to "
              "smo.yaml.")


@accounts_app.command("check")
def check_accounts(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Accounts (default: all).")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Sign in with each account's token or app password; exit 6 when one is refused."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, note
    from smo_cli.services.engage_remote import CHECK_COLUMNS
    from smo_cli.services.engage_remote import check_accounts as check

    context = get_app(ctx)
    rows = check(context.workspace(), context.env, names or ())
    emit_rows(rows, fmt=fmt, columns=CHECK_COLUMNS)
    failed = [r["account"] for r in rows if not r["ok"]]
    if failed:
        note(f"Not signed in: {', '.join(failed)}.")
        raise typer.Exit(ExitCode.SOURCE)


@app.command("post")
def post_now(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The text of the post.")],
    to: ToOpt,
    at: AtOpt = None,
    media: MediaOpt = None,
    alt: AltOpt = None,
    lang: LangPostOpt = None,
    reply_to: ReplyOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Publish a post now, or schedule it with --at. --dry-run checks it and shows the
    requests (with facets) without storing or sending anything."""
    from smo_cli.render.output import note, say, to_json
    from smo_cli.services.engage import Draft
    from smo_cli.services.engage_remote import post

    context = get_app(ctx)
    draft = Draft(text=text, to=to, at=at, media=media or [], alts=alt or [], lang=lang,
                  reply_to=reply_to)
    result = post(context.engine(), context.workspace(), context.env, draft, dry_run=dry_run)
    for warning in result.warnings:
        note(f"warning: {warning}")
    if dry_run:
        say(to_json(result.previews))
        note("Dry run: nothing was stored or sent.")
    elif result.report is None:
        note(f"Scheduled post {result.post_id}; `smo engage publish-due` (cron) publishes it.")
    else:
        _report(result.report, OutputFormat.table, quiet=False)


@app.command("draft")
def draft_post(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The text of the post.")],
    to: ToOpt,
    at: Annotated[str | None, typer.Option("--at", help="The planned time (local); "
                                           "`schedule` puts it on the calendar.")] = None,
    media: MediaOpt = None,
    alt: AltOpt = None,
    lang: LangPostOpt = None,
    reply_to: ReplyOpt = None,
) -> None:
    """Save a draft: checked like a post, published only after `schedule`."""
    from smo_cli.render.output import note, say
    from smo_cli.services.engage import Draft, check_draft, create_post

    context = get_app(ctx)
    draft = Draft(text=text, to=to, at=at, media=media or [], alts=alt or [], lang=lang,
                  reply_to=reply_to)
    with context.transaction() as session:
        checked = check_draft(session, context.workspace(), draft)
        post_id = create_post(session, checked, state="draft").id
    for warning in checked.warnings:
        note(f"warning: {warning}")
    say(f"Saved draft {post_id}.")


@app.command("list")
def list_posts(ctx: typer.Context,
               state: Annotated[str | None, typer.Option(
                   "--state", help="draft, scheduled, publishing, published, failed or "
                   "cancelled.")] = None,
               start: FromOpt = None, end: UntilOpt = None,
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Posts by time, with their state, accounts and links once published."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.engage import POST_COLUMNS, parse_day
    from smo_cli.services.engage import list_posts as posts

    context = get_app(ctx)
    with context.reading() as session:
        rows = posts(session, context.workspace(), state=state,
                     start=parse_day(start, "--from"), end=parse_day(end, "--to"))
    emit_rows(rows, fmt=fmt, columns=POST_COLUMNS, empty="No posts.")


@app.command("edit")
def edit_post(ctx: typer.Context, post_id: PostIdArg,
              text: Annotated[str | None, typer.Option("--text", help="New text.")] = None,
              at: AtOpt = None,
              to: Annotated[str | None, typer.Option("--to", help="New accounts.")] = None
              ) -> None:
    """Change a draft or scheduled post (checked again)."""
    from smo_cli.errors import UsageError
    from smo_cli.render.output import note, say
    from smo_cli.services.engage import edit_post as edit

    if text is None and at is None and to is None:
        raise UsageError("nothing to change", hint="give --text, --at or --to")
    context = get_app(ctx)
    with context.transaction() as session:
        post, warnings = edit(session, context.workspace(), post_id, text=text, at=at, to=to)
        state = post.state
    for warning in warnings:
        note(f"warning: {warning}")
    say(f"Changed post {post_id} ({state}).")


@app.command("schedule")
def schedule_post(ctx: typer.Context, post_id: PostIdArg, at: AtOpt = None) -> None:
    """Put a draft on the calendar, move a scheduled post, or try a failed one again."""
    from smo_cli.render.output import note, say
    from smo_cli.services.engage import local_text, zone_of
    from smo_cli.services.engage import schedule_post as schedule
    from smo_cli.services.engage_publish import STUCK_AFTER

    context = get_app(ctx)
    workspace = context.workspace()
    with context.transaction() as session:
        post, notes = schedule(session, workspace, post_id, at, stuck_after=STUCK_AFTER)
        when = local_text(post.scheduled_at, zone_of(workspace))
    for line in notes:
        note(f"warning: {line}")
    say(f"Scheduled post {post_id} for {when} ({workspace.settings.business_hours.timezone}).")


@app.command("cancel")
def cancel_post(ctx: typer.Context, post_id: PostIdArg) -> None:
    """Take a draft, scheduled or failed post off the calendar."""
    from smo_cli.render.output import say
    from smo_cli.services.engage import cancel_post as cancel

    with get_app(ctx).transaction() as session:
        cancel(session, post_id)
    say(f"Cancelled post {post_id}.")


@app.command("publish-due")
def publish_due(ctx: typer.Context, quiet: QuietOpt = False,
                fmt: FormatOpt = OutputFormat.table) -> None:
    """Publish every scheduled post that is due, once (for cron). Exit 6 when a post failed
    or is stuck; the officer is told through the outbox as well."""
    from smo_cli.services.engage_publish import publish_due as publish

    context = get_app(ctx)
    report = publish(context.engine(), context.workspace(), context.env)
    _report(report, fmt, quiet=quiet)


def _report(report: PublishReport, fmt: OutputFormat, *, quiet: bool) -> None:
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, note, plural
    from smo_cli.services.engage_publish import OUTCOME_COLUMNS, outcome_rows

    rows = outcome_rows(report)
    if fmt is not OutputFormat.table or (rows and not quiet):
        emit_rows(rows, fmt=fmt, columns=OUTCOME_COLUMNS, empty="Nothing was due.")
    for stuck in report.stuck:
        note(f"post {stuck.post} is stuck: publishing since {stuck.claimed_at:%Y-%m-%d %H:%M} "
             f"UTC ({', '.join(stuck.accounts) or 'all accounts done'}); check the accounts, "
             f"then `smo engage schedule {stuck.post} --at now` or `cancel`")
    if report.unmessaged and not report.ok:
        note(f"warning: {report.unmessaged}")
    published = sum(o.result == "published" for o in report.outcomes)
    retrying = sum(o.result == "retry" for o in report.outcomes)
    if not quiet or not report.ok:
        note(f"{plural(published, 'publication')}, {retrying} to retry, "
             f"{plural(len(report.failed_posts), 'failed post')}, "
             f"{plural(len(report.stuck), 'stuck post')}"
             + (f"; {plural(report.messages, 'message')} to the officer." if report.messages
                else "."))
    if not report.ok:
        raise typer.Exit(ExitCode.SOURCE)


@app.command("calendar")
def show_calendar(ctx: typer.Context, start: FromOpt = None, end: UntilOpt = None,
                  fmt: Annotated[CalendarFormat, typer.Option(
                      "--format", "-f", help="table, json, csv or ics.",
                      case_sensitive=False)] = CalendarFormat.table,
                  out: OutOpt = None) -> None:
    """The content calendar from --from (default: today): a table, or an .ics file."""
    from smo_cli.render.output import emit_rows, note, output_file, say
    from smo_cli.services.engage import parse_day
    from smo_cli.services.engage_calendar import (
        CALENDAR_COLUMNS,
        calendar_ics,
        calendar_rows,
        default_start,
    )

    context = get_app(ctx)
    workspace = context.workspace()
    first = parse_day(start, "--from") or default_start(workspace)
    last = parse_day(end, "--to")
    with context.reading() as session:
        if fmt is CalendarFormat.ics:
            text = calendar_ics(session, workspace, first, last)
        else:
            rows = calendar_rows(session, workspace, first, last)
    if out is None:
        if fmt is CalendarFormat.ics:
            say(text.rstrip("\r\n"))
        else:
            emit_rows(rows, fmt=OutputFormat(fmt.value), columns=CALENDAR_COLUMNS,
                      empty="Nothing on the calendar.")
        return
    with output_file(out) as stream:
        if fmt is CalendarFormat.ics:
            stream.write(text)
        else:
            emit_rows(rows, fmt=OutputFormat(fmt.value), columns=CALENDAR_COLUMNS,
                      empty="Nothing on the calendar.", out=stream)
    note(f"Wrote {out}.")


@app.command("import")
def import_calendar(ctx: typer.Context,
                    path: Annotated[Path, typer.Argument(help="CSV with at, text, to (and "
                                                         "media, alt, lang) columns.")]) -> None:
    """Import a content calendar from a spreadsheet; nothing is stored if a row is wrong."""
    from smo_cli.render.output import note, say
    from smo_cli.services.engage_calendar import import_calendar as load

    context = get_app(ctx)
    with context.transaction() as session:
        summary = load(session, context.workspace(), path)
    for warning in summary.warnings:
        note(f"warning: {warning}")
    say(f"Calendar: {summary}.")


@app.command("stats")
def take_stats(ctx: typer.Context,
               days: Annotated[int, typer.Option("--days", min=1, help="Posts published in "
                                                 "the last N days.")] = 30,
               fmt: FormatOpt = OutputFormat.table) -> None:
    """Fetch likes, reposts, replies and quotes of recent posts and keep a dated snapshot."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.engage_remote import STATS_COLUMNS
    from smo_cli.services.engage_remote import take_stats as take

    context = get_app(ctx)
    rows = take(context.engine(), context.workspace(), context.env, days=days)
    emit_rows(rows, fmt=fmt, columns=STATS_COLUMNS, empty="No post published in that time.")
