"""`smo privacy`: GDPR access (export) and erasure (forget), for an author or an employee."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DryRunOpt, FormatOpt, OutOpt, YesOpt, command_group
from smo_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from sqlmodel import Session

app = command_group(
    "Personal data (GDPR): export or erase everything stored about an author or an employee.",
    "smo privacy export --author @jan@mastodon.social -o jan.json",
    "smo privacy forget --author @jan@mastodon.social --dry-run",
    "smo privacy export --email jan@acme.nl",
    "smo privacy forget --email jan@acme.nl --yes",
)

AuthorOpt = Annotated[str | None, typer.Option(
    "--author", "-a", metavar="HANDLE",
    help="Handle or profile link, e.g. @jan@mastodon.social, @jan.bsky.social, u/jan; "
    "matched case-insensitively on every source.")]
EmailOpt = Annotated[str | None, typer.Option(
    "--email", "-e", metavar="ADDRESS",
    help="An employee's e-mail address (people list, policy, training, awareness records).")]


def _one_of(author: str | None, email: str | None) -> None:
    from smo_cli.errors import UsageError

    if (author is None) == (email is None):
        raise UsageError("give exactly one of --author and --email")


@app.command("export")
def export_data(
    ctx: typer.Context,
    author: AuthorOpt = None,
    email: EmailOpt = None,
    out: OutOpt = None,
) -> None:
    """Everything stored about one author or employee, as one JSON document (GDPR access)."""
    from smo_cli.render.output import note, say, to_json, write_file
    from smo_cli.services import privacy

    _one_of(author, email)
    with get_app(ctx).reading() as session:
        document = (privacy.export_author(session, author) if author is not None
                    else privacy.export_email(session, email or ""))
    if out is None:
        say(to_json(document))
        return
    write_file(out, to_json(document) + "\n")
    note(f"Wrote {out}.")


@app.command("forget")
def forget_person(
    ctx: typer.Context,
    author: AuthorOpt = None,
    email: EmailOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Erase everything stored about one author or employee (GDPR erasure); an author's
    mentions leave tombstones, so they are never fetched again.

    Asks first on a terminal; elsewhere (scripts) it needs --yes.
    """
    from smo_cli.cli._options import interactive
    from smo_cli.errors import UsageError
    from smo_cli.render.output import emit_one, say
    from smo_cli.services import privacy

    _one_of(author, email)
    who = author if author is not None else email or ""
    context = get_app(ctx)

    def erase(session: Session, dry: bool) -> dict[str, int]:
        if author is not None:
            return privacy.forget_author(session, author, dry_run=dry)
        return privacy.forget_email(session, who, dry_run=dry)

    if not dry_run and not yes:
        # The preview first: a bad address is reported as such, before anything is asked.
        with context.reading() as session:
            preview = erase(session, True)
        if not interactive():
            raise UsageError("forget deletes for good", hint="check with --dry-run, then add "
                             "--yes to do it without being asked")
        if not typer.confirm(f"Erase {_summary(preview)} about {who}?", default=False):
            say("Nothing erased.")
            return
    with context.transaction() as session:
        counts = erase(session, dry_run)
    verb = "Would erase" if dry_run else "Erased"
    emit_one(counts, fmt=fmt, message=f"{verb} {_summary(counts)} about {who}.")


def _summary(counts: dict[str, int]) -> str:
    shown = [f"{value} {key.replace('_', ' ')}" for key, value in counts.items() if value]
    return ", ".join(shown) or "nothing"
