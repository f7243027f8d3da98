"""`smo inventory target`: where the company and each department must, should or must not be."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import FormatOpt, command_group
from smo_cli.db.models.inventory import Platform, Requirement
from smo_cli.render.output import OutputFormat

target_app = command_group(
    "Where the company and each department must, should or must not be.",
    "smo inventory target set linkedin --owner company --required must",
    "smo inventory target set tiktok --owner dept:hr --required should --why 'recruitment'",
    "smo inventory target import targets.csv",
    "smo inventory target list -f json",
)


@target_app.command("set")
def set_target(
    ctx: typer.Context,
    platform: Annotated[Platform, typer.Argument(help="Platform.")],
    owner: Annotated[str, typer.Option("--owner", help="company or dept:<key>.")] = "company",
    required: Annotated[Requirement, typer.Option("--required", "-r",
                                                  help="must, should or must-not.")] = (
        Requirement.must),
    why: Annotated[str | None, typer.Option("--why", help="The reason, for the audit.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Set (or change) a presence target."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import inventory_gap

    context = get_app(ctx)
    with context.transaction() as session:
        target = inventory_gap.set_target(session, context.workspace().settings,
                                          platform=platform, owner=owner, required=required,
                                          why=why)
    emit_one(target, fmt=fmt, message=f"Target: {target.owner} {target.required} be on "
             f"{target.platform}.")


@target_app.command("import")
def import_targets(
    ctx: typer.Context,
    csv_file: Annotated[Path, typer.Argument(help="CSV with platform, owner, required, why.",
                                             dir_okay=False)],
) -> None:
    """Set many targets from CSV; a bad row stops the whole import."""
    from smo_cli.render.output import say
    from smo_cli.services import inventory_gap

    context = get_app(ctx)
    with context.transaction() as session:
        count = inventory_gap.import_targets(session, context.workspace().settings, csv_file)
    say(f"Set {count} targets from {csv_file.name}.")


@target_app.command("list")
def list_targets(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """List presence targets."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import inventory_gap

    with get_app(ctx).reading() as session:
        targets = inventory_gap.list_targets(session)
    emit_rows(targets, fmt=fmt, columns=["platform", "owner", "required", "why"],
              empty="No targets yet: `smo inventory target set PLATFORM --required must`.")


@target_app.command("remove")
def remove_target(
    ctx: typer.Context,
    platform: Annotated[Platform, typer.Argument(help="Platform.")],
    owner: Annotated[str, typer.Option("--owner", help="company or dept:<key>.")] = "company",
) -> None:
    """Remove a presence target."""
    from smo_cli.render.output import say
    from smo_cli.services import inventory_gap

    context = get_app(ctx)
    with context.transaction() as session:
        target = inventory_gap.remove_target(session, context.workspace().settings,
                                             platform=platform, owner=owner)
    say(f"Removed target {target.platform} for {target.owner}.")
