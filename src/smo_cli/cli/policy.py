"""`smo policy`: the social media policy, written from the organisation's own answers (job 4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import (
    DeptOpt,
    DryRunOpt,
    FormatOpt,
    LangOpt,
    OutOpt,
    command_group,
    emit_document,
    report_problems,
)
from smo_cli.render.output import OutputFormat

app = command_group(
    "The social media policy: write it, publish versions, track who acknowledged it.",
    "smo policy init --lang nl",
    "smo policy check",
    "smo policy generate --lang nl --format html -o beleid.html",
    "smo policy publish --lang nl",
    "smo policy diff 1 2",
    "smo policy ack jan.jansen@example.nl --date 2026-11-20",
    "smo policy ack --import bevestigingen.csv",
    "smo policy status --dept sales",
    "smo policy remind --dry-run",
)


@app.command("init")
def init_policy(ctx: typer.Context, lang: LangOpt = None,
                force: Annotated[bool, typer.Option("--force", help="Overwrite policy.yaml.")] = (
                    False)) -> None:
    """Write policy.yaml with draft answers for the organisation to complete."""
    from smo_cli.render.output import say
    from smo_cli.services.policy import init_policy as init

    path = init(get_app(ctx).workspace(), lang=lang, force=force)
    say(f"Wrote {path}. Complete the answers, then `smo policy check`.")


@app.command("check")
def check_policy(ctx: typer.Context) -> None:
    """Report missing answers, left-over placeholders and unknown departments or people."""
    from smo_cli.services.policy import check_policy as check

    context = get_app(ctx)
    with context.reading() as session:
        problems = check(session, context.workspace())
    report_problems(problems, "policy.yaml: every answer is there.")


@app.command("generate")
def generate_policy(
    ctx: typer.Context,
    lang: LangOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="md, html or pdf (default: "
                                            "from --out's suffix, else md).")] = None,
    out: OutOpt = None,
) -> None:
    """Render the policy with the official accounts, departments and contacts smo knows."""
    from smo_cli.render.output import document_format
    from smo_cli.services.policy import generate_policy as generate

    chosen = document_format(fmt, out)
    context = get_app(ctx)
    with context.reading() as session:
        document = generate(session, context.workspace(), lang=lang, fmt=chosen)
    emit_document(document, out)


@app.command("publish")
def publish_policy(ctx: typer.Context, lang: LangOpt = None) -> None:
    """Store the next version (number, language, content hash, date); checks it first."""
    from smo_cli.render.output import say
    from smo_cli.services.policy import publish_policy as publish

    context = get_app(ctx)
    with context.transaction() as session:
        version = publish(session, context.workspace(), lang=lang)
        number, digest = version.number, version.content_hash
    say(f"Published policy version {number} ({digest[:12]}).")


@app.command("versions")
def list_versions(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Published versions of the policy."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.policy import list_versions as versions

    with get_app(ctx).reading() as session:
        emit_rows(versions(session), fmt=fmt, empty="No version published yet.")


@app.command("diff")
def diff_policy(ctx: typer.Context,
                old: Annotated[int, typer.Argument(help="Older version.")],
                new: Annotated[int, typer.Argument(help="Newer version.")],
                lang: LangOpt = None) -> None:
    """What changed between two published versions."""
    from smo_cli.render.output import say
    from smo_cli.services.policy import diff_versions

    context = get_app(ctx)
    with context.reading() as session:
        text = diff_versions(session, old, new, (lang or context.workspace().settings.language))
    say(text.rstrip("\n") or "No differences.")


@app.command("ack")
def acknowledge(
    ctx: typer.Context,
    emails: Annotated[list[str] | None, typer.Argument(help="E-mail addresses.")] = None,
    from_file: Annotated[Path | None, typer.Option(
        "--import", help="CSV with email and date (and optionally version) columns.")] = None,
    version: Annotated[int | None, typer.Option(
        "--version", help="The version acknowledged (default: the current one).")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="When they acknowledged it (default: today).")] = None,
    lang: LangOpt = None,
) -> None:
    """Record who acknowledged the policy: addresses, or a CSV export of a form."""
    from smo_cli.errors import InvalidData, UsageError
    from smo_cli.render.output import say
    from smo_cli.services.policy_acks import acknowledge as record
    from smo_cli.services.policy_acks import import_acks, parse_day

    if bool(emails) == bool(from_file):
        raise UsageError("give e-mail addresses or --import FILE (one of the two)")
    context = get_app(ctx)
    workspace = context.workspace()
    with context.transaction() as session:
        if from_file is not None:
            if version is not None or on is not None:
                raise UsageError("--version and --date come from the file's columns with --import")
            summary = import_acks(session, workspace, from_file, lang=lang)
        else:
            day: date | None = None
            if on is not None:
                day = parse_day(on)
                if day is None:
                    raise InvalidData(f"--date {on!r} is not a date", hint="use 2026-11-27")
            summary = record(session, workspace, emails or [], lang=lang, version=version, on=day)
    say(f"Acknowledgements: {summary}.")


@app.command("status")
def ack_status(
    ctx: typer.Context,
    dept: DeptOpt = None,
    summary: Annotated[bool, typer.Option(
        "--summary", help="One row per department instead of one per person.")] = False,
    lang: LangOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Who acknowledged the current version, who only an older one, who none (by department)."""
    from smo_cli.render.output import emit_rows, note
    from smo_cli.services.policy_acks import ack_status as status
    from smo_cli.services.policy_acks import department_summary

    context = get_app(ctx)
    with context.reading() as session:
        current, people = status(session, context.workspace(), lang=lang, department=dept)
        number, language = current.number, current.lang
    if summary:
        emit_rows(department_summary(people), fmt=fmt, empty="Nobody in the people list.")
    else:
        emit_rows([p.row() for p in people], fmt=fmt, empty="Nobody in the people list.")
    done = sum(p.state == "current" for p in people)
    note(f"Version {number} ({language}): {done} of {len(people)} acknowledged it.")


@app.command("remind")
def remind(ctx: typer.Context, dept: DeptOpt = None, dry_run: DryRunOpt = False,
           lang: LangOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """E-mail everyone who has not acknowledged the current version (at most once a day)."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, note, plural
    from smo_cli.services.policy_acks import remind as send

    context = get_app(ctx)
    outcome = send(context.engine(), context.workspace(), context.env, lang=lang,
                   department=dept, dry_run=dry_run)
    emit_rows([{"email": r.email, "name": r.name, "department": r.department or "",
                "state": r.state, "subject": r.subject} for r in outcome.reminders], fmt=fmt,
              empty="Nobody to remind.")
    if outcome.reminded_today:
        note(f"{plural(outcome.reminded_today, 'person', 'people')} already had today's reminder.")
    report = outcome.delivery
    if dry_run:
        note("Dry run: nothing was sent.")
    elif report is not None:
        note(f"Sent {report.sent}, failed {report.failed}, retrying later {report.retrying}.")
        if report.failed and not report.sent:
            raise typer.Exit(ExitCode.SOURCE)
