"""`smo training`: courses, sessions, invitations with a calendar entry, attendance, coverage,
who needs training, and training material (job 5)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
    "Training (job 5): courses in training.yaml, sessions, invitations, attendance, coverage.",
    "smo training course check",
    "smo training session add basis --at '2026-12-08 09:00' --location Kantine --capacity 12",
    "smo training invite 1 --dept sales --dry-run",
    "smo training invite 1 --needs --ics-out uitnodigingen/",
    "smo training attend 1 jan.jansen@acme-installatie.example",
    "smo training attend --course basis --date 2026-10-01 --import e-learning.csv",
    "smo training status --dept sales",
    "smo training needs -f md",
    "smo training material basis --lang nl --out basis.html",
)
course_app = command_group("The courses of training.yaml.", "smo training course list",
                           "smo training course show basis", "smo training course check")
session_app = command_group(
    "Training sessions: plan, list, move, cancel.",
    "smo training session add basis --at '2026-12-08 09:00' --location Kantine --capacity 12",
    "smo training session list --upcoming",
    "smo training session edit 1 --at '2026-12-09 09:00'",
    "smo training session cancel 1")
app.add_typer(course_app, name="course")
app.add_typer(session_app, name="session")


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


ReportFormatOpt = Annotated[ReportFormat, typer.Option(
    "--format", "-f", help="Output format (md: a Markdown table for a report).",
    case_sensitive=False)]
SessionArg = Annotated[int, typer.Argument(help="Session id (see `smo training session list`).")]


def _emit_report(rows: list[dict[str, Any]], fmt: ReportFormat, empty: str) -> None:
    from smo_cli.render.output import emit_rows, say

    if fmt is ReportFormat.md:
        from smo_cli.render.markdown import markdown_table

        say(markdown_table(rows, list(rows[0])).rstrip("\n") if rows else empty)
        return
    emit_rows(rows, fmt=OutputFormat(fmt.value), empty=empty)


@course_app.command("list")
def list_courses(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """The courses: audience, duration, modules, refresher interval."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.training import course_rows

    emit_rows(course_rows(get_app(ctx).workspace()), fmt=fmt,
              empty="No courses yet: write training.yaml (see examples/acme/training.yaml).")


@course_app.command("show")
def show_course(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Course key.")],
                fmt: FormatOpt = OutputFormat.table) -> None:
    """One course: its modules, and how many of its audience are trained, expired, never."""
    from smo_cli.render.output import emit_one
    from smo_cli.services.training import show_course as show

    context = get_app(ctx)
    with context.reading() as session:
        emit_one(show(session, context.workspace(), key), fmt=fmt)


@course_app.command("check")
def check_courses(ctx: typer.Context) -> None:
    """Report unknown departments, roles and people, unpublished policy versions."""
    from smo_cli.services.training import check_courses as check

    context = get_app(ctx)
    with context.reading() as session:
        problems = check(session, context.workspace())
    report_problems(problems, "training.yaml: every course checks out.")


@session_app.command("add")
def add_session(
    ctx: typer.Context,
    course: Annotated[str, typer.Argument(help="Course key.")],
    at: Annotated[str, typer.Option("--at", help="Start, local time: '2026-12-08 09:00'.")],
    location: Annotated[str, typer.Option("--location", help="Room, address or video link.")],
    trainer: Annotated[str | None, typer.Option("--trainer", help="Trainer's e-mail.")] = None,
    capacity: Annotated[int | None, typer.Option("--capacity", min=1,
                                                 help="At most this many invitees.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Plan a session of a course; it ends the course's duration later."""
    from smo_cli.render.output import emit_one
    from smo_cli.services.training_sessions import add_session as add
    from smo_cli.services.training_sessions import session_record

    context = get_app(ctx)
    workspace = context.workspace()
    with context.transaction() as session:
        record = session_record(add(session, workspace, course=course, at=at, location=location,
                                    trainer=trainer, capacity=capacity), workspace)
    emit_one(record, fmt=fmt, message=f"Planned session {record['id']}: {record['course']} "
             f"{record['starts']} to {record['ends'][11:]}, {record['location']}.")


@session_app.command("list")
def list_sessions(
    ctx: typer.Context,
    upcoming: Annotated[bool, typer.Option("--upcoming", help="Only sessions still to come.")
                        ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Sessions by start time, with how many were invited and attended."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.training_sessions import list_sessions as sessions

    context = get_app(ctx)
    with context.reading() as session:
        rows = sessions(session, context.workspace(), upcoming=upcoming)
    emit_rows(rows, fmt=fmt, empty="No sessions.")


@session_app.command("edit")
def edit_session(
    ctx: typer.Context, session_id: SessionArg,
    at: Annotated[str | None, typer.Option("--at", help="New start, local time.")] = None,
    location: Annotated[str | None, typer.Option("--location", help="New location.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Move a session or change its location; `invite` then sends the update."""
    from smo_cli.render.output import emit_one, note
    from smo_cli.services.training_sessions import edit_session as edit
    from smo_cli.services.training_sessions import session_record

    context = get_app(ctx)
    workspace = context.workspace()
    with context.transaction() as session:
        record = session_record(edit(session, workspace, session_id, at=at, location=location),
                                workspace)
    emit_one(record, fmt=fmt, message=f"Session {session_id} is now {record['starts']}, "
             f"{record['location']} (sequence {record['sequence']}).")
    note(f"Run `smo training invite {session_id}` to send invitees the updated calendar entry.")


@session_app.command("cancel")
def cancel_session(ctx: typer.Context, session_id: SessionArg, dry_run: DryRunOpt = False,
                   lang: LangOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Cancel a session; everyone invited gets a cancellation that clears their calendar."""
    from smo_cli.services.training_sessions import cancel_session as cancel

    context = get_app(ctx)
    outcome = cancel(context.engine(), context.workspace(), context.env, session_id, lang=lang,
                     dry_run=dry_run)
    _emit_sent(outcome.cancellations, outcome.delivery, dry_run, fmt,
               f"Session {session_id} cancelled; nobody had been invited.")


@app.command("invite")
def invite(
    ctx: typer.Context, session_id: SessionArg, dept: DeptOpt = None,
    needs: Annotated[bool, typer.Option("--needs", help="Only people who need this course "
                                        "(see `smo training needs`).")] = False,
    ics_out: Annotated[Path | None, typer.Option("--ics-out", file_okay=False,
                                                 help="Also write each .ics to this folder.")
                       ] = None,
    dry_run: DryRunOpt = False, lang: LangOpt = None, fmt: FormatOpt = OutputFormat.table,
) -> None:
    """E-mail the course's audience an invitation with a calendar entry (once per version)."""
    from smo_cli.render.output import note, plural, write_file
    from smo_cli.services.training_sessions import ics_filename
    from smo_cli.services.training_sessions import invite as send

    context = get_app(ctx)
    outcome = send(context.engine(), context.workspace(), context.env, session_id,
                   department=dept, needs=needs, lang=lang, dry_run=dry_run)
    if ics_out is not None and not dry_run:
        ics_out.mkdir(parents=True, exist_ok=True)
        for invitation in outcome.invitations:
            write_file(ics_out / ics_filename(session_id, invitation.email), invitation.ics)
    if outcome.already:
        note(f"{plural(outcome.already, 'person', 'people')} already had this invitation.")
    if outcome.full:
        note(f"Full: {plural(len(outcome.full), 'person', 'people')} did not fit: "
             + ", ".join(p.email for p in outcome.full))
    _emit_sent(outcome.invitations, outcome.delivery, dry_run, fmt, "Nobody to invite.")
    if ics_out is not None and outcome.invitations and not dry_run:
        note(f"Wrote {plural(len(outcome.invitations), 'calendar file')} to {ics_out}.")


def _emit_sent(items: list[Any], report: Any, dry_run: bool, fmt: OutputFormat,
               empty: str) -> None:
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, note

    emit_rows([{"email": i.email, "name": i.name, "department": i.department or "",
                "kind": i.kind, "subject": i.subject} for i in items], fmt=fmt, empty=empty)
    if dry_run:
        note("Dry run: nothing was sent or stored.")
    elif report is not None:
        note(f"Sent {report.sent}, failed {report.failed}, retrying later {report.retrying}.")
        if report.failed and not report.sent:
            raise typer.Exit(ExitCode.SOURCE)


@app.command("attend")
def attend(
    ctx: typer.Context,
    args: Annotated[list[str] | None, typer.Argument(
        help="SESSION and e-mail addresses; with --course only addresses.")] = None,
    from_file: Annotated[Path | None, typer.Option(
        "--import", help="CSV with an email column (and a date column with --course).")] = None,
    course: Annotated[str | None, typer.Option(
        "--course", help="Training done elsewhere: the course key.")] = None,
    on: Annotated[str | None, typer.Option(
        "--date", help="With --course: the day it was completed (default: today).")] = None,
) -> None:
    """Record who completed a course: at a session, or elsewhere (--course, --date)."""
    from smo_cli.errors import InvalidData, UsageError
    from smo_cli.render.output import say
    from smo_cli.services.policy_acks import parse_day
    from smo_cli.services.training_records import attend as record
    from smo_cli.services.training_records import import_attendance

    words = list(args or [])
    session_id: int | None = None
    if course is None:
        if not words or not words[0].isdigit():
            raise UsageError("give a SESSION id first, or --course KEY for training done "
                             "elsewhere")
        session_id = int(words.pop(0))
    if bool(words) == bool(from_file):
        raise UsageError("give e-mail addresses or --import FILE (one of the two)")
    day = parse_day(on) if on is not None else None
    if on is not None and day is None:
        raise InvalidData(f"--date {on!r} is not a date", hint="use 2026-11-27")
    context = get_app(ctx)
    with context.transaction() as session:
        if from_file is not None:
            summary = import_attendance(session, context.workspace(), from_file,
                                        session_id=session_id, course=course, on=day)
        else:
            summary = record(session, context.workspace(), words, session_id=session_id,
                             course=course, on=day)
    when = f" on {summary.completed_on.isoformat()}" if summary.completed_on else ""
    say(f"Completions of {summary.course}{when}: {summary}.")


@app.command("status")
def status(
    ctx: typer.Context, dept: DeptOpt = None,
    people: Annotated[bool, typer.Option("--people", help="One row per person and course.")
                      ] = False,
    fmt: ReportFormatOpt = ReportFormat.table,
) -> None:
    """Coverage per department and course: trained (valid), expired, never, and the rate."""
    from smo_cli.render.output import note
    from smo_cli.services.training_records import course_totals, coverage_rows, person_rows

    context = get_app(ctx)
    with context.reading() as session:
        rows = person_rows(session, context.workspace(), department=dept)
    _emit_report(rows if people else coverage_rows(rows), fmt,
                 "Nobody to train: no courses, or nobody in their audience.")
    for course, trained, total in course_totals(rows):
        note(f"{course}: {trained} of {total} trained ({100 * trained / max(total, 1):.0f}%).")


@app.command("needs")
def needs(ctx: typer.Context, dept: DeptOpt = None,
          fmt: ReportFormatOpt = ReportFormat.table) -> None:
    """Who should be trained and why: never trained, refresher due, professional account
    without the course, current policy not acknowledged."""
    from smo_cli.services.training_records import needs_rows

    context = get_app(ctx)
    with context.reading() as session:
        rows = needs_rows(session, context.workspace(), department=dept)
    _emit_report(rows, fmt, "Nobody needs training right now.")


@app.command("material")
def material(
    ctx: typer.Context, course: Annotated[str, typer.Argument(help="Course key.")],
    lang: LangOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="md, html or pdf (default: "
                                            "from --out's suffix, else md).")] = None,
    out: OutOpt = None,
) -> None:
    """A handout and session outline with the organisation's own policy, accounts, contacts."""
    from smo_cli.render.output import document_format
    from smo_cli.services.training_material import material as make

    chosen = document_format(fmt, out)
    context = get_app(ctx)
    with context.reading() as session:
        document = make(session, context.workspace(), course, lang=lang, fmt=chosen)
    emit_document(document, out)
