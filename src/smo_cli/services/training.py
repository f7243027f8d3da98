"""Training (job 5): the courses of training.yaml, who each course is for, and who is trained
until when.

training.yaml is the officer's course catalogue (reviewable in git); the database keeps what
happened: sessions, invitations, completions (services/training_sessions.py and
training_records.py). A completion stays valid for the course's refresher interval in calendar
months; a course without one never expires.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, col, select

from smo_cli.config import (
    DEPARTMENT_KEY_PATTERN,
    DepartmentKey,
    Email,
    Workspace,
    describe_validation_error,
    read_yaml,
)
from smo_cli.db.models import Account, Person, PolicyVersion, TrainingCompletion
from smo_cli.errors import InvalidData, NotFound
from smo_cli.services.business_hours import local_today

TRAINING_FILE = "training.yaml"
OFFICIAL_KINDS = ("official",)
PROFESSIONAL_KIND = "employee-professional"
EXPIRING_DAYS = 30                 # a refresher is due this long before the training expires
STATES = ("valid", "expired", "never")


class Module(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    minutes: int | None = Field(default=None, gt=0)


class Audience(BaseModel):
    """Who a course is for; a person belongs when any one of the parts includes them."""

    model_config = ConfigDict(extra="forbid")
    all: bool = False
    departments: list[DepartmentKey] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    people: list[Email] = Field(default_factory=list)
    professional_accounts: bool = False   # owners of an employee-professional account
    custodians: bool = False              # custodians of an official account

    @model_validator(mode="after")
    def _someone(self) -> Audience:
        if not (self.all or self.departments or self.roles or self.people
                or self.professional_accounts or self.custodians):
            raise ValueError("name at least one of all, departments, roles, people, "
                             "professional_accounts, custodians")
        return self

    def describe(self) -> str:
        parts = ["everyone"] if self.all else []
        if self.departments:
            parts.append("dept " + ", ".join(self.departments))
        if self.roles:
            parts.append("roles " + ", ".join(self.roles))
        if self.people:
            parts.append(f"{len(self.people)} named people")
        if self.professional_accounts:
            parts.append("professional accounts")
        if self.custodians:
            parts.append("custodians")
        return "; ".join(parts)


class Course(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=DEPARTMENT_KEY_PATTERN, max_length=60)
    title: str = Field(min_length=1)
    audience: Audience
    duration: int = Field(gt=0, le=24 * 60)                  # minutes
    modules: list[Module] = Field(default_factory=list)
    policy_version: int | None = Field(default=None, ge=1)
    refresher_months: int | None = Field(default=None, ge=1)  # none: never expires
    description: str | None = None

    @field_validator("audience", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        # `audience: all` reads better than `audience: {all: true}` for the common case.
        return {"all": True} if value == "all" else value

    @field_validator("modules", mode="before")
    @classmethod
    def _titles(cls, value: object) -> object:
        # A module without minutes may be written as just its title.
        if isinstance(value, list):
            return [{"title": m} if isinstance(m, str) else m for m in value]
        return value


class TrainingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    courses: list[Course] = Field(default_factory=list)

    @field_validator("courses")
    @classmethod
    def _unique_keys(cls, courses: list[Course]) -> list[Course]:
        seen: set[str] = set()
        for course in courses:
            if course.key in seen:
                raise ValueError(f"course key {course.key!r} is used twice")
            seen.add(course.key)
        return courses


def training_path(workspace: Workspace) -> Path:
    return workspace.root / TRAINING_FILE


def load_courses(workspace: Workspace) -> list[Course]:
    """The courses of training.yaml; none when the file does not exist."""
    path = training_path(workspace)
    if not path.exists():
        return []
    try:
        return TrainingFile.model_validate(read_yaml(path) or {}).courses
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None


def get_course(workspace: Workspace, key: str) -> Course:
    courses = load_courses(workspace)
    found = next((c for c in courses if c.key == key), None)
    if found is None:
        known = ", ".join(c.key for c in courses) or f"none (no {TRAINING_FILE} yet)"
        raise NotFound(f"no course {key!r} in {TRAINING_FILE}", hint=f"courses: {known}")
    return found


def basic_course(courses: Iterable[Course]) -> Course | None:
    """The course people with a professional account should have had."""
    return next((c for c in courses if c.audience.professional_accounts), None)




def add_months(day: date, months: int) -> date:
    """Calendar months later; the day is clamped (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Standing:
    """A person's standing for one course on a day."""

    state: str                      # valid | expired | never
    completed_on: date | None
    expires_on: date | None         # None: never expires (or never trained)

    def expiring(self, today: date) -> bool:
        return (self.state == "valid" and self.expires_on is not None
                and self.expires_on - today <= timedelta(days=EXPIRING_DAYS))


def standing(course: Course, completed_on: date | None, today: date) -> Standing:
    """Valid until the day before `expires_on`: 12 months from 5 March runs out on 5 March."""
    if completed_on is None:
        return Standing("never", None, None)
    expires = (add_months(completed_on, course.refresher_months)
               if course.refresher_months else None)
    state = "valid" if expires is None or today < expires else "expired"
    return Standing(state, completed_on, expires)


def latest_completions(session: Session) -> dict[tuple[str, str], date]:
    """(course, e-mail) → the most recent day the person completed the course."""
    latest: dict[tuple[str, str], date] = {}
    for course, email, day in session.exec(select(
            col(TrainingCompletion.course), col(TrainingCompletion.email),
            col(TrainingCompletion.completed_on))).all():
        key = (course, email.lower())
        if key not in latest or day > latest[key]:
            latest[key] = day
    return latest


def trained_people(session: Session, workspace: Workspace, today: date) -> set[str]:
    """E-mail addresses with at least one valid (not expired) completion of a course in
    training.yaml; an empty set without training.yaml."""
    courses = {c.key: c for c in load_courses(workspace)}
    return {email for (key, email), day in latest_completions(session).items()
            if key in courses and standing(courses[key], day, today).state == "valid"}


@dataclass
class Directory:
    """The people and the inventory facts that decide who a course is for."""

    people: list[Person]                                   # by department and name
    professional: dict[str, list[str]] = field(default_factory=dict)   # e-mail → platforms
    custodians: dict[str, list[str]] = field(default_factory=dict)     # e-mail → accounts

    def person(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        return next((p for p in self.people if p.email == wanted), None)


def load_directory(session: Session, department: str | None = None) -> Directory:
    statement = select(Person).order_by(col(Person.department), col(Person.name))
    if department is not None:
        statement = statement.where(col(Person.department) == department)
    found = Directory(list(session.exec(statement).all()))
    for account in session.exec(select(Account)).all():
        label = account.handle or account.url or account.platform
        if account.kind == PROFESSIONAL_KIND and "@" in account.owner:
            found.professional.setdefault(account.owner.lower(), []).append(account.platform)
        if account.kind in OFFICIAL_KINDS and account.custodian:
            found.custodians.setdefault(account.custodian.lower(), []).append(
                f"{account.platform} {label}".strip())
    return found


def in_audience(course: Course, person: Person, directory: Directory) -> bool:
    audience = course.audience
    roles = {r.strip().lower() for r in audience.roles}
    return (audience.all
            or (person.department is not None and person.department in audience.departments)
            or (person.role is not None and person.role.strip().lower() in roles)
            or person.email in {p.lower() for p in audience.people}
            or (audience.professional_accounts and person.email in directory.professional)
            or (audience.custodians and person.email in directory.custodians))


def audience_of(course: Course, directory: Directory) -> list[Person]:
    return [p for p in directory.people if in_audience(course, p, directory)]


def check_department(workspace: Workspace, department: str | None) -> None:
    if department is not None and workspace.settings.department(department) is None:
        known = ", ".join(d.key for d in workspace.settings.departments) or "none"
        raise InvalidData(f"unknown department {department!r}", hint=f"departments: {known}")


def course_rows(workspace: Workspace) -> list[dict[str, Any]]:
    return [{"key": c.key, "title": c.title, "audience": c.audience.describe(),
             "duration": c.duration, "modules": len(c.modules),
             "refresher_months": c.refresher_months, "policy_version": c.policy_version}
            for c in load_courses(workspace)]


def show_course(session: Session, workspace: Workspace, key: str) -> dict[str, Any]:
    """One course with its modules and how many people it is for today."""
    course = get_course(workspace, key)
    people = audience_of(course, load_directory(session))
    latest = latest_completions(session)
    today = local_today(workspace)
    states = [standing(course, latest.get((course.key, p.email)), today).state for p in people]
    return {"key": course.key, "title": course.title, "audience": course.audience.describe(),
            "duration": course.duration, "refresher_months": course.refresher_months,
            "policy_version": course.policy_version, "description": course.description,
            "modules": [m.title + (f" ({m.minutes} min)" if m.minutes else "")
                        for m in course.modules],
            "people": len(people), **{s: states.count(s) for s in STATES}}


def check_courses(session: Session, workspace: Workspace) -> list[str]:
    """Problems as 'FILE: KEY: what is wrong' lines: unknown departments, roles nobody has,
    people not in the people list, unpublished policy versions, module minutes that do not
    fit the course (duplicate keys fail when the file is read, and are reported as such)."""
    path = training_path(workspace)
    if not path.exists():
        return [f"{path}: does not exist (write one; see examples/acme/training.yaml)"]
    try:
        courses = load_courses(workspace)
    except InvalidData as exc:
        return [exc.message]
    if not courses:
        return [f"{path}: courses: no course yet"]
    people = list(session.exec(select(Person)).all())
    known = _Known(emails={p.email for p in people},
                   roles={(p.role or "").strip().lower() for p in people},
                   published=set(session.exec(select(col(PolicyVersion.number))).all()))
    problems: list[str] = []
    for index, course in enumerate(courses):
        problems += _course_problems(workspace, course, f"{path}: courses[{index}]", known)
    return problems


@dataclass(frozen=True)
class _Known:
    emails: set[str]
    roles: set[str]
    published: set[int]


def _course_problems(workspace: Workspace, course: Course, where: str,
                     known: _Known) -> list[str]:
    problems = [f"{where}.audience.departments: unknown department {dept!r}"
                for dept in course.audience.departments
                if workspace.settings.department(dept) is None]
    problems += [f"{where}.audience.roles: nobody in the people list has the role {role!r}"
                 for role in course.audience.roles if role.strip().lower() not in known.roles]
    problems += [f"{where}.audience.people: {email} is not in the people list"
                 for email in course.audience.people if email.lower() not in known.emails]
    version = course.policy_version
    if version is not None and version not in known.published:
        problems.append(f"{where}.policy_version: policy version {version} has not been "
                        "published")
    elif version is not None and version < max(known.published):
        problems.append(f"{where}.policy_version: teaches version {version}, but version "
                        f"{max(known.published)} is current")
    planned = sum(m.minutes or 0 for m in course.modules)
    if planned > course.duration:
        problems.append(f"{where}.modules: {planned} minutes of modules in a "
                        f"{course.duration}-minute course")
    return problems
