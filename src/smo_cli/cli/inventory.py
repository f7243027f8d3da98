"""`smo inventory`: accounts, presence targets, the gap, public checks and the audit (job 3)."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from smo_cli.cli import _options
from smo_cli.cli._context import get_app
from smo_cli.cli._options import (
    DeptOpt,
    FormatOpt,
    LangOpt,
    LimitOpt,
    OutOpt,
    YesOpt,
    command_group,
)
from smo_cli.cli.inventory_target import target_app
from smo_cli.db.models.inventory import AccountKind, Platform
from smo_cli.errors import SourceError, UsageError
from smo_cli.render.output import OutputFormat

app = command_group(
    "Presence inventory: where the company and its people are, against where they should be.",
    "smo inventory add https://mastodon.social/@acme --custodian sanne@acme.nl --2fa",
    "smo inventory add @jan.bsky.social -p bluesky --owner jan@acme.nl",
    "smo inventory list --dept sales -f json",
    "smo inventory target set linkedin --owner company --required must",
    "smo inventory gap -f md",
    "smo inventory check",
    "smo inventory audit --lang nl --format html -o audit.html",
)
app.add_typer(target_app, name="target")

PlatformOpt = Annotated[Platform | None, typer.Option("--platform", "-p", help="Platform.")]
OwnerOpt = Annotated[str | None, typer.Option(
    "--owner", help="company, dept:<key> or a person's e-mail.")]
KindOpt = Annotated[AccountKind | None, typer.Option("--kind", "-k", help="Kind of account.")]


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


class DocumentFormat(StrEnum):
    md = "md"
    html = "html"


def _prompt_platform() -> Platform:
    answer = typer.prompt(f"Platform ({', '.join(p.value for p in Platform)})")
    try:
        return Platform(answer.strip().lower())
    except ValueError:
        raise UsageError(f"unknown platform {answer!r}") from None


@app.command("add")
def add_account(
    ctx: typer.Context,
    handle: Annotated[str | None, typer.Argument(
        help="Handle or profile URL, e.g. @acme@mastodon.social or https://x.com/acme.")] = None,
    platform: PlatformOpt = None,
    url: Annotated[str | None, typer.Option("--url", help="Profile URL.")] = None,
    owner: OwnerOpt = None,
    kind: KindOpt = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="What the account is for.")
    ] = None,
    custodian: Annotated[str | None, typer.Option(
        "--custodian", help="Who holds the login (e-mail).")] = None,
    two_factor: Annotated[bool | None, typer.Option(
        "--2fa/--no-2fa", help="Two-factor authentication on or off.")] = None,
    created: Annotated[datetime | None, typer.Option(
        "--created", formats=["%Y-%m-%d"], help="When the account was created.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free notes.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add an account; on a terminal, asks for what is missing."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import inventory
    from smo_cli.services.handles import guess_platform

    interactive = _options.interactive()
    if not handle and not url:
        if not interactive:
            raise UsageError("give a handle or --url")
        handle = typer.prompt("Handle or profile URL")
    platform = platform or guess_platform(url or handle or "")
    if platform is None:
        if not interactive:
            raise UsageError("cannot tell the platform from the handle", hint="pass --platform")
        platform = _prompt_platform()
    owner = owner or ("company" if not interactive else typer.prompt("Owner (company, dept:<key> "
                                                                   "or e-mail)", default="company"))
    if interactive and inventory.default_kind(owner) is AccountKind.official and kind in (
            None, AccountKind.official):
        custodian = custodian or typer.prompt("Custodian of the login (e-mail)", default="") or None
        if two_factor is None:
            two_factor = typer.confirm("Is two-factor authentication on?", default=False)
    data = inventory.AccountInput(
        platform=platform, handle=handle, url=url, owner=owner, kind=kind, purpose=purpose,
        custodian=custodian, two_factor=two_factor, created=created.date() if created else None,
        notes=notes)
    context = get_app(ctx)
    with context.transaction() as session:
        account = inventory.add_account(session, context.workspace().settings, data)
        record = inventory.account_record(session, account)
    emit_one(record, fmt=fmt, message=f"Added account {account.id}: {account.handle} "
             f"({account.platform}, {account.kind}, owner {account.owner or 'none'}).")


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    platform: PlatformOpt = None,
    owner: OwnerOpt = None,
    kind: KindOpt = None,
    dept: DeptOpt = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List accounts, filtered by platform, owner, kind or department."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.inventory import LIST_COLUMNS, list_accounts, normalise_owner
    from smo_cli.services.org import check_department

    context = get_app(ctx)
    settings = context.workspace().settings
    dept = check_department(settings, dept)
    owner = normalise_owner(settings, owner) if owner is not None else None
    with context.reading() as session:
        rows = list_accounts(session, platform=platform, owner=owner, kind=kind,
                             department=dept, limit=limit)
    filtered = any(v is not None for v in (platform, owner, kind, dept))
    emit_rows(rows, fmt=fmt, columns=LIST_COLUMNS,
              empty="No accounts match." if filtered else
              "No accounts yet: `smo inventory add` or `smo inventory import FILE.csv`.")


@app.command("show")
def show_account(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, handle or URL.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Show one account with its newest check."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import inventory

    with get_app(ctx).reading() as session:
        record = inventory.describe_account(session, account)
    emit_one(record, fmt=fmt)


@app.command("edit")
def edit_account(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, handle or URL.")],
    handle: Annotated[str | None, typer.Option("--handle", help="New handle.")] = None,
    platform: PlatformOpt = None,
    url: Annotated[str | None, typer.Option("--url", help="New profile URL.")] = None,
    owner: OwnerOpt = None,
    kind: KindOpt = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    custodian: Annotated[str | None, typer.Option("--custodian")] = None,
    two_factor: Annotated[bool | None, typer.Option("--2fa/--no-2fa")] = None,
    created: Annotated[datetime | None, typer.Option("--created", formats=["%Y-%m-%d"])] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Change fields of an account; fields not given stay as they are."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import inventory

    changes: dict[str, Any] = {
        "handle": handle, "platform": platform, "url": url, "owner": owner, "kind": kind,
        "purpose": purpose, "custodian": custodian, "two_factor": two_factor,
        "created": created.date() if created else None, "notes": notes}
    if all(v is None for v in changes.values()):
        raise UsageError("nothing to change", hint="see `smo inventory edit --help`")
    context = get_app(ctx)
    with context.transaction() as session:
        edited = inventory.edit_account(session, context.workspace().settings, account, changes)
        record = inventory.account_record(session, edited)
    emit_one(record, fmt=fmt, message=f"Updated account {edited.id}: {edited.handle}.")


@app.command("remove")
def remove_account(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id, handle or URL.")],
    yes: YesOpt = False,
) -> None:
    """Remove an account and its check history."""
    from smo_cli.render.output import say
    from smo_cli.services import inventory

    if not _options.confirmed(f"Remove account {account} and its check history?", yes):
        say("Nothing removed.")
        return
    with get_app(ctx).transaction() as session:
        removed = inventory.remove_account(session, account)
    say(f"Removed account {removed.id}: {removed.handle} ({removed.platform}).")


@app.command("import")
def import_accounts(
    ctx: typer.Context,
    csv_file: Annotated[Path, typer.Argument(help="CSV as written by `smo inventory export`.",
                                             dir_okay=False)],
) -> None:
    """Create or update accounts from CSV; a bad row stops the whole import."""
    from smo_cli.render.output import say
    from smo_cli.services import inventory

    context = get_app(ctx)
    with context.transaction() as session:
        summary = inventory.import_accounts(session, context.workspace().settings, csv_file)
    say(f"Imported {csv_file.name}: {summary}.")


@app.command("export")
def export_accounts(ctx: typer.Context, out: OutOpt = None) -> None:
    """Write every account as CSV (imports back unchanged)."""
    from smo_cli.render.output import note, output_file, plural
    from smo_cli.services import inventory

    with get_app(ctx).reading() as session:
        if out is None:
            inventory.export_accounts(session, sys.stdout)
            return
        with output_file(out) as stream:
            count = inventory.export_accounts(session, stream)
    note(f"Wrote {plural(count, 'account')} to {out}.")


@app.command("gap")
def show_gap(
    ctx: typer.Context,
    dept: DeptOpt = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.",
                                              case_sensitive=False)] = ReportFormat.table,
) -> None:
    """What is missing, what exists but should not, and what has no owner or no two-factor."""
    from smo_cli.render.output import emit_rows, say
    from smo_cli.services import inventory_gap
    from smo_cli.services.org import check_department

    context = get_app(ctx)
    settings = context.workspace().settings
    dept = check_department(settings, dept)
    with context.reading() as session:
        gaps = inventory_gap.find_gaps(session, settings, department=dept)
    columns = ["severity", "scope", "platform", "finding", "account", "account_id", "detail"]
    if fmt is ReportFormat.md:
        from smo_cli.render.markdown import markdown_table
        from smo_cli.render.output import as_record

        say(markdown_table([as_record(g) for g in gaps], columns).rstrip()
            if gaps else "No gaps.")
        return
    emit_rows(gaps, fmt=OutputFormat(fmt.value), columns=columns,
              empty="No gaps: every target is met and every account is in order.")


@app.command("check")
def check_accounts(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(
        "--account", "-a", help="Check only this account (id, handle or URL).")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Fetch public facts (followers, posts, last post, reachability) and store a snapshot."""
    from smo_cli.render.output import emit_rows, note, plural, progress
    from smo_cli.services import inventory_check
    from smo_cli.services.inventory import get_account

    context = get_app(ctx)
    settings = context.workspace().settings.inventory
    # Read, fetch outside any transaction, then write: the database stays unlocked while the
    # network is slow, so cron jobs writing at the same time are not blocked.
    with context.reading() as session:
        account_id = get_account(session, account).id if account is not None else None
        targets = inventory_check.accounts_to_check(session, account_id=account_id)
    with progress(len(targets), "Checking accounts") as advance:
        results = inventory_check.fetch_checks(targets, settings, on_done=lambda _: advance())
    with context.transaction() as session:
        outcomes = inventory_check.record_checks(session, results, settings)
    emit_rows(outcomes, fmt=fmt, columns=["account_id", "platform", "handle", "status",
                                          "followers", "posts", "last_post_at", "dormant",
                                          "detail"],
              empty="No accounts to check.")
    failed = sum(1 for o in outcomes if o.status not in ("ok", "unsupported"))
    dormant = sum(1 for o in outcomes if o.dormant)
    note(f"Checked {plural(len(outcomes), 'account')}: {len(outcomes) - failed} answered, "
         f"{failed} failed, {dormant} dormant.")
    if outcomes and failed == len(outcomes):
        raise SourceError("no account could be checked", hint="is the network down? "
                          "see the detail column")


@app.command("audit")
def write_audit(
    ctx: typer.Context,
    lang: LangOpt = None,
    fmt: Annotated[DocumentFormat | None, typer.Option(
        "--format", "-f", help="md or html (default: from --out's suffix, else md).",
        case_sensitive=False)] = None,
    out: OutOpt = None,
) -> None:
    """Write the audit report: every account with owner, custodian, two-factor, last activity,
    findings, and the gap table."""
    from smo_cli.render.output import note, say, write_file
    from smo_cli.services.inventory_audit import build_audit

    if fmt is None:
        fmt = DocumentFormat.html if out and out.suffix.lower() in (".html", ".htm") else (
            DocumentFormat.md)
    context = get_app(ctx)
    with context.reading() as session:
        document = build_audit(session, context.workspace(), lang=lang, fmt=fmt.value)
    if out is None:
        say(document.rstrip("\n"))
        return
    write_file(out, document)
    note(f"Wrote {out}.")
