"""`smo org`: departments (from smo.yaml) and people (employees)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import (
    DeptOpt,
    FormatOpt,
    LimitOpt,
    YesOpt,
    command_group,
    confirmed,
    required,
)
from smo_cli.render.output import OutputFormat

app = command_group(
    "The organisation: departments (smo.yaml) and people.",
    "smo org departments",
    "smo org people import employees.csv",
    "smo org people list --dept sales -f csv",
)
people_app = command_group(
    "Employees: import from HR's CSV, list, add, show, remove.",
    "smo org people import employees.csv",
    "smo org people add jan@acme.nl --name 'Jan Jansen' --dept sales --role Accountmanager",
    "smo org people show jan@acme.nl -f json",
)
app.add_typer(people_app, name="people")

PERSON_COLUMNS = ["email", "name", "department", "role", "manager_email"]


@app.command("departments")
def list_departments(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """List departments from smo.yaml with their head, contact address and head count."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import org

    context = get_app(ctx)
    with context.reading() as session:
        rows = org.list_departments(session, context.workspace().settings)
    emit_rows(rows, fmt=fmt, empty="No departments in smo.yaml.")


@people_app.command("import")
def import_people(
    ctx: typer.Context,
    csv_file: Annotated[Path, typer.Argument(help="CSV with name, email, department, role and "
                                             "optionally manager (e-mail).", dir_okay=False)],
) -> None:
    """Create or update people from a CSV (by e-mail); a bad row stops the whole import."""
    from smo_cli.render.output import say
    from smo_cli.services import org

    context = get_app(ctx)
    with context.transaction() as session:
        summary = org.import_people(session, context.workspace().settings, csv_file)
    say(f"Imported {csv_file.name}: {summary}.")


@people_app.command("list")
def list_people(
    ctx: typer.Context,
    dept: DeptOpt = None,
    role: Annotated[str | None, typer.Option("--role", help="Only this role.")] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List people, by department and name."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services import org

    context = get_app(ctx)
    dept = org.check_department(context.workspace().settings, dept)
    with context.reading() as session:
        people = org.list_people(session, department=dept, role=role, limit=limit)
    emit_rows(people, fmt=fmt, columns=PERSON_COLUMNS, empty="No people yet: "
              "`smo org people import employees.csv`.")


@people_app.command("add")
def add_person(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="E-mail address (the person's key).")],
    name: Annotated[str | None, typer.Option("--name", help="Full name.")] = None,
    dept: DeptOpt = None,
    role: Annotated[str | None, typer.Option("--role", help="Role or job title.")] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Manager's e-mail.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add one person."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import org

    name = required(name, "--name", "Full name")
    context = get_app(ctx)
    data = org.PersonInput(email=email, name=name, department=dept, role=role, manager=manager)
    with context.transaction() as session:
        person = org.add_person(session, context.workspace().settings, data)
    emit_one(_record(person), fmt=fmt, message=f"Added {person.name} <{person.email}>.")


@people_app.command("show")
def show_person(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="E-mail address.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Show one person."""
    from smo_cli.render.output import emit_one
    from smo_cli.services import org

    with get_app(ctx).reading() as session:
        person = org.get_person(session, email)
    emit_one(_record(person), fmt=fmt)


@people_app.command("remove")
def remove_person(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="E-mail address.")],
    yes: YesOpt = False,
) -> None:
    """Remove one person; their reports lose them as manager, their accounts show in the gap."""
    from smo_cli.render.output import say
    from smo_cli.services import org

    if not confirmed(f"Remove {email}?", yes):
        say("Nothing removed.")
        return
    with get_app(ctx).transaction() as session:
        removal = org.remove_person(session, email)
    person = removal.person
    say(f"Removed {person.name} <{person.email}>.")
    if removal.reports:
        say(f"  People who had them as manager, now without one: {removal.reports}.")
    if removal.accounts:
        say(f"  Accounts they own, now with an unknown owner: {removal.accounts} "
            "(see `smo inventory gap`).")


def _record(person: object) -> dict[str, object]:
    return {column: getattr(person, column) for column in PERSON_COLUMNS}
