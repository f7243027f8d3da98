"""The organisation: departments (from smo.yaml) and people (employees, keyed by e-mail)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, func, select

from smo_cli.config import Settings
from smo_cli.db.models import Account, Person
from smo_cli.db.types import utcnow
from smo_cli.errors import AlreadyExists, InvalidData, NotFound
from smo_cli.services.csv_files import (
    FieldProblem,
    ImportSummary,
    apply_changes,
    read_csv,
    row_error,
)

EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
PEOPLE_COLUMNS = {"e-mail": "email", "mail": "email", "naam": "name", "dept": "department",
                  "afdeling": "department", "rol": "role", "functie": "role",
                  "manager_email": "manager", "leidinggevende": "manager"}


@dataclass(frozen=True)
class DepartmentRow:
    key: str
    name: str
    head: str | None
    email: str | None
    people: int


@dataclass(frozen=True)
class PersonInput:
    email: str
    name: str
    department: str | None = None
    role: str | None = None
    manager: str | None = None


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if not EMAIL.match(email):
        raise InvalidData(f"{value!r} is not an e-mail address")
    return email


def list_departments(session: Session, settings: Settings) -> list[DepartmentRow]:
    counts = dict(session.exec(
        select(Person.department, func.count()).group_by(Person.department)).all())
    return [DepartmentRow(d.key, d.name, d.head, d.email, counts.get(d.key, 0))
            for d in settings.departments]


def check_department(settings: Settings, key: str | None) -> str | None:
    if key is None or not key.strip():
        return None
    key = key.strip().lower()
    if settings.department(key) is None:
        known = ", ".join(d.key for d in settings.departments) or "none in smo.yaml"
        raise InvalidData(f"unknown department {key!r}", hint=f"known: {known}")
    return key


def find_person(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()


def get_person(session: Session, email: str) -> Person:
    person = find_person(session, email)
    if person is None:
        raise NotFound(f"no person with e-mail {email.strip().lower()}",
                       hint="see `smo org people list`")
    return person


def list_people(session: Session, *, department: str | None = None, role: str | None = None,
                limit: int | None = None) -> list[Person]:
    query = select(Person).order_by(col(Person.department), col(Person.name))
    if department:
        query = query.where(Person.department == department.lower())
    if role:
        query = query.where(func.lower(Person.role) == role.lower())
    return list(session.exec(query.limit(limit)).all())


def add_person(session: Session, settings: Settings, data: PersonInput) -> Person:
    clean = _validated(session, settings, data)
    if find_person(session, clean.email) is not None:
        raise AlreadyExists(f"{clean.email} is already in the people list",
                            hint="use `smo org people import` to update people")
    person = Person(email=clean.email, name=clean.name, department=clean.department,
                    role=clean.role, manager_email=clean.manager)
    session.add(person)
    session.flush()
    return person


@dataclass(frozen=True)
class Removal:
    person: Person
    reports: int    # people who had them as manager (now none)
    accounts: int   # inventory accounts they own (now an unknown owner)


def remove_person(session: Session, email: str) -> Removal:
    person = get_person(session, email)
    reports = list(session.exec(select(Person).where(col(Person.manager_email) == person.email)))
    for report in reports:
        report.manager_email = None
        report.updated_at = utcnow()
    owned = session.exec(select(func.count()).select_from(Account)
                         .where(col(Account.owner) == person.email)).one()
    session.delete(person)
    session.flush()
    return Removal(person, len(reports), owned)


def _validated(session: Session, settings: Settings, data: PersonInput,
               also_known: set[str] | None = None) -> PersonInput:
    """Clean one person's fields; a problem names the field it is in."""
    try:
        email = normalise_email(data.email)
    except InvalidData as exc:
        raise FieldProblem("email", exc.message) from None
    name = data.name.strip()
    if not name:
        raise FieldProblem("name", "the name is empty")
    try:
        department = check_department(settings, data.department)
    except InvalidData as exc:
        raise FieldProblem("department", exc.message, hint=exc.hint) from None
    manager = (data.manager or "").strip().lower() or None
    if manager is not None:
        if manager == email:
            raise FieldProblem("manager", "a person cannot be their own manager")
        if not EMAIL.match(manager):
            raise FieldProblem("manager", f"{data.manager!r} is not an e-mail address")
        if manager not in (also_known or set()) and find_person(session, manager) is None:
            raise FieldProblem("manager", f"manager {manager} is not in the people list",
                               hint="add the manager first, or leave the manager empty")
    return PersonInput(email=email, name=name, department=department,
                       role=(data.role or "").strip() or None, manager=manager)


def import_people(session: Session, settings: Settings, path: Path) -> ImportSummary:
    """Upsert people by e-mail from CSV; any bad row raises before anything is written."""
    rows = read_csv(path, aliases=PEOPLE_COLUMNS, required=("name", "email"),
                    known=("name", "email", "department", "role", "manager"))
    emails_in_file = {r.get("email").lower() for r in rows}
    seen: set[str] = set()
    validated: list[PersonInput] = []
    for row in rows:
        email = row.get("email").lower()
        if email in seen:
            raise row_error(path, row, "email", f"{email} appears twice in the file")
        seen.add(email)
        data = PersonInput(email=row.get("email"), name=row.get("name"),
                           department=row.get("department"), role=row.get("role"),
                           manager=row.get("manager"))
        try:
            validated.append(_validated(session, settings, data, emails_in_file))
        except FieldProblem as exc:
            raise row_error(path, row, exc.column, exc.problem, exc.hint) from None
    return _upsert(session, validated, set(rows[0].values) if rows else set())


def _upsert(session: Session, people: list[PersonInput], columns: set[str]) -> ImportSummary:
    """Create or update; an update changes only the columns the file has."""
    existing = {p.email: p for p in session.exec(select(Person)).all()}
    created = updated = unchanged = 0
    for data in people:
        given = {"name": data.name, "department": data.department, "role": data.role,
                 "manager": data.manager}
        fields = {("manager_email" if k == "manager" else k): v for k, v in given.items()
                  if k in columns}
        person = existing.get(data.email)
        if person is None:
            session.add(Person(email=data.email, name=data.name, department=data.department,
                               role=data.role, manager_email=data.manager))
            created += 1
        elif apply_changes(person, fields):
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportSummary(created, updated, unchanged)
