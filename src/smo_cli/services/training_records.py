"""Training records (job 5): who attended, how far each department is trained, and who should
be trained next and why.

Completions are kept by e-mail address (they survive a person leaving and coming back). Coverage
and needs look only at the people list: for each course, the people its audience includes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.models import TrainingCompletion
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData, NotFound, UsageError
from smo_cli.services.business_hours import local_today
from smo_cli.services.csv_files import CsvRow, read_csv, row_error
from smo_cli.services.policy_acks import parse_day
from smo_cli.services.training import (
    Course,
    check_department,
    get_course,
    in_audience,
    latest_completions,
    load_courses,
    load_directory,
    standing,
)
from smo_cli.services.training_sessions import get_session, local_text

ATTENDANCE_COLUMNS = {"e-mail": "email", "mail": "email", "datum": "date", "naam": "name",
                      "afdeling": "department", "completed_on": "date"}
REASONS = ("professional-account", "never", "expired", "expiring", "policy")


@dataclass(frozen=True)
class AttendSummary:
    course: str
    completed_on: date | None       # one day for all (a session, --date); None: per row
    recorded: int
    already: int                    # the same person, course and day was on record

    def __str__(self) -> str:
        return f"{self.recorded} recorded, {self.already} already on record"


@dataclass(frozen=True)
class _Target:
    course: str
    day: date | None
    session_id: int | None


def _target(session: Session, workspace: Workspace, session_id: int | None,
            course: str | None, on: date | None) -> _Target:
    """What the attendance is of: a held session (its course and day) or a course on a day."""
    today = local_today(workspace)
    if session_id is not None:
        if course is not None or on is not None:
            raise UsageError("a session has its own course and date",
                             hint="give SESSION, or --course and --date (not both)")
        row = get_session(session, session_id)
        if row.cancelled_at is not None:
            raise InvalidData(f"training session {session_id} was cancelled")
        if row.starts_at > utcnow():
            raise InvalidData(f"training session {session_id} starts at "
                              f"{local_text(row.starts_at, workspace)}",
                              hint="record attendance after the session; nothing was recorded")
        day = date.fromisoformat(local_text(row.starts_at, workspace)[:10])
        return _Target(row.course, day, session_id)
    if course is None:
        raise UsageError("give a SESSION, or --course KEY for training done elsewhere")
    if on is not None and on > today:
        raise InvalidData(f"{on.isoformat()} is in the future; nothing was recorded")
    return _Target(get_course(workspace, course).key, on, None)


def attend(session: Session, workspace: Workspace, emails: Iterable[str], *,
           session_id: int | None = None, course: str | None = None,
           on: date | None = None) -> AttendSummary:
    """Record that people completed a course: at a session, or elsewhere on a day (default:
    today). Every address must be in the people list; otherwise nothing is stored."""
    target = _target(session, workspace, session_id, course, on)
    day = target.day or local_today(workspace)
    directory = load_directory(session)
    wanted: list[str] = []
    for raw in emails:
        person = directory.person(raw)
        if person is None:
            raise NotFound(f"{raw.strip()} is not in the people list",
                           hint="check the address, or add them with `smo org people add`; "
                                "nothing was recorded")
        if person.email not in wanted:
            wanted.append(person.email)
    recorded, already = _store(session, [(target.course, e, day) for e in wanted],
                               target.session_id, "cli")
    return AttendSummary(target.course, day, recorded, already)


def import_attendance(session: Session, workspace: Workspace, path: Path, *,
                      session_id: int | None = None, course: str | None = None,
                      on: date | None = None) -> AttendSummary:
    """Attendance from a CSV file (a sign-in sheet or an e-learning export): an email column,
    and without a session a date column (or --date). Any bad row stops the import before
    anything is stored."""
    target = _target(session, workspace, session_id, course, on)
    dated = target.session_id is None and target.day is None
    known = ("email", "name", "department") + (("date",) if target.session_id is None else ())
    rows = read_csv(path, aliases=ATTENDANCE_COLUMNS,
                    required=("email", "date") if dated else ("email",), known=known)
    directory = load_directory(session)
    today = local_today(workspace)
    found: list[tuple[str, str, date]] = []
    for row in rows:
        person = directory.person(row.get("email"))
        if person is None:
            raise row_error(path, row, "email", f"{row.get('email') or '(empty)'} is not in "
                            "the people list")
        day = target.day
        if row.get("date") or day is None:
            day = _row_day(path, row, today)
        found.append((target.course, person.email, day))
    recorded, already = _store(session, found, target.session_id, path.name)
    return AttendSummary(target.course, None if dated else target.day, recorded, already)


def _row_day(path: Path, row: CsvRow, today: date) -> date:
    raw = row.get("date")
    day = parse_day(raw)
    if day is None:
        raise row_error(path, row, "date", f"{raw or '(empty)'!r} is not a date",
                        hint="use 2026-11-27 or 27-11-2026")
    if day > today:
        raise row_error(path, row, "date", f"{day.isoformat()} is in the future")
    return day


def _store(session: Session, found: list[tuple[str, str, date]], session_id: int | None,
           source: str) -> tuple[int, int]:
    on_record = {(c.course, c.email, c.completed_on) for c in session.exec(
        select(TrainingCompletion).where(col(TrainingCompletion.email).in_(
            sorted({email for _, email, _ in found}))))}
    recorded = already = 0
    for entry in found:
        if entry in on_record:
            already += 1
            continue
        on_record.add(entry)
        course, email, day = entry
        session.add(TrainingCompletion(course=course, email=email, completed_on=day,
                                       session_id=session_id, source=source[:200]))
        recorded += 1
    session.flush()
    return recorded, already


def person_rows(session: Session, workspace: Workspace, *, department: str | None = None,
                today: date | None = None) -> list[dict[str, Any]]:
    """One row per person and course they are in the audience of: valid, expired or never."""
    check_department(workspace, department)
    today = today or local_today(workspace)
    courses = load_courses(workspace)
    directory = load_directory(session, department)
    latest = latest_completions(session)
    rows = []
    for person in directory.people:
        for course in courses:
            if not in_audience(course, person, directory):
                continue
            found = standing(course, latest.get((course.key, person.email)), today)
            rows.append({"department": person.department or "", "name": person.name,
                         "email": person.email, "course": course.key, "state": found.state,
                         "completed_on": found.completed_on, "expires_on": found.expires_on})
    return rows


def coverage_rows(people: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per department and course: people in the audience, trained (valid), expired, never."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for row in people:
        counts.setdefault((row["department"], row["course"]), Counter())[row["state"]] += 1
    result = []
    for (dept, course), counter in sorted(counts.items()):
        total = sum(counter.values())
        result.append({"department": dept, "course": course, "people": total,
                       "trained": counter["valid"], "expired": counter["expired"],
                       "never": counter["never"],
                       "rate": f"{100 * counter['valid'] / total:.0f}%"})
    return result


def course_totals(people: Iterable[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """(course, trained, people) over all departments, for a one-line summary."""
    totals: dict[str, Counter[str]] = {}
    for row in people:
        totals.setdefault(row["course"], Counter())[row["state"]] += 1
    return [(course, c["valid"], sum(c.values())) for course, c in totals.items()]


def needs_rows(session: Session, workspace: Workspace, *, department: str | None = None,
               today: date | None = None) -> list[dict[str, Any]]:
    """Who should be trained and why: one row per person and course, the strongest reason
    first in `reason` and every reason in `detail`."""
    check_department(workspace, department)
    today = today or local_today(workspace)
    courses = load_courses(workspace)
    directory = load_directory(session, department)
    latest = latest_completions(session)
    unacknowledged, version = _unacknowledged(session, workspace)
    # The courses that teach the policy: those linked to a version, else those for everyone.
    policy_courses = ({c.key for c in courses if c.policy_version is not None}
                      or {c.key for c in courses if c.audience.all})
    rows = []
    for person in directory.people:
        for course in courses:
            if not in_audience(course, person, directory):
                continue
            found = standing(course, latest.get((course.key, person.email)), today)
            reasons = _reasons(course, found.state, person.email, directory.professional)
            if found.state == "expired":
                reasons.append(("expired", f"expired on {found.expires_on}"))
            elif found.expiring(today):
                reasons.append(("expiring", f"expires on {found.expires_on}"))
            if course.key in policy_courses and person.email in unacknowledged:
                reasons.append(("policy", f"has not acknowledged policy version {version}"))
            if reasons:
                rows.append({"department": person.department or "", "name": person.name,
                             "email": person.email, "course": course.key,
                             "reason": reasons[0][0],
                             "detail": "; ".join(text for _, text in reasons),
                             "completed_on": found.completed_on,
                             "expires_on": found.expires_on})
    return rows


def _reasons(course: Course, state: str, email: str,
             professional: dict[str, list[str]]) -> list[tuple[str, str]]:
    if state != "never":
        return []
    if course.audience.professional_accounts and email in professional:
        platforms = ", ".join(sorted(set(professional[email])))
        return [("professional-account", f"has a professional account ({platforms}) but "
                 "never had this course")]
    return [("never", "never trained")]


def _unacknowledged(session: Session, workspace: Workspace) -> tuple[set[str], int | None]:
    """People who have not acknowledged the current policy (none when none is published)."""
    from smo_cli.services.policy_acks import ack_status

    try:
        current, statuses = ack_status(session, workspace)
    except NotFound:
        return set(), None
    return {s.email for s in statuses if s.state != "current"}, current.number
