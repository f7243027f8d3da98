"""Policy acknowledgements (job 4): who confirmed they read which published version, who has not,
and reminders for those who have not, sent through the delivery channels.

A version is per language (`policy publish --lang`); an acknowledgement names one version of one
language. "Current" is the latest published version of the language asked about; someone whose
newest acknowledgement is of an earlier version acknowledged "only an older one".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import OutboxMessage, Person, PolicyAck, PolicyVersion
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData, NotFound
from smo_cli.services.business_hours import local_today
from smo_cli.services.csv_files import CsvRow, read_csv, row_error
from smo_cli.services.policy import TITLES, load_policy, policy_language

ACK_COLUMNS = {"e-mail": "email", "mail": "email", "datum": "date", "acknowledged_on": "date",
               "acknowledged": "date", "gelezen": "date", "versie": "version"}
STATES = ("current", "older", "none")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


@dataclass(frozen=True)
class AckSummary:
    recorded: int
    already: int                    # the same person, version and language was on record

    def __str__(self) -> str:
        return f"{self.recorded} recorded, {self.already} already on record"


@dataclass(frozen=True)
class PersonStatus:
    email: str
    name: str
    department: str | None
    state: str                      # current | older | none
    version: int | None             # the newest version they acknowledged
    acknowledged_on: date | None

    def row(self) -> dict[str, Any]:
        return {"department": self.department or "", "name": self.name, "email": self.email,
                "state": self.state, "version": self.version,
                "acknowledged_on": self.acknowledged_on}


def current_version(session: Session, lang: str) -> PolicyVersion:
    """The latest published version in `lang`; an error when none has been published."""
    latest = session.exec(select(PolicyVersion).where(col(PolicyVersion.lang) == lang)
                          .order_by(col(PolicyVersion.number).desc())).first()
    if latest is None:
        raise NotFound(f"no policy version in {lang!r} has been published",
                       hint=f"run `smo policy publish --lang {lang}` first")
    return latest


def acknowledge(session: Session, workspace: Workspace, emails: Iterable[str], *,
                lang: str | None = None, version: int | None = None, on: date | None = None,
                source: str = "cli") -> AckSummary:
    """Record that each person acknowledged a version (default: the current one) on a day
    (default: today). Every address must be in the people list; otherwise nothing is stored."""
    lang = policy_language(workspace, lang)
    chosen = _version(session, lang, version)
    day = on or local_today(workspace)
    _check_day(chosen, day, workspace)
    people = _people(session)
    wanted: list[str] = []
    for raw in emails:
        email = raw.strip().lower()
        if email not in people:
            raise NotFound(f"{raw.strip()} is not in the people list",
                           hint="check the address, or add them with `smo org people add`; "
                                "nothing was recorded")
        if email not in wanted:
            wanted.append(email)
    return _store(session, [(email, chosen.number, day) for email in wanted], lang, source)


def import_acks(session: Session, workspace: Workspace, path: Path, *,
                lang: str | None = None) -> AckSummary:
    """Acknowledgements from a CSV file (email, date, optional version): a form or intranet
    export. Without a version, a row acknowledges the version in force on its date. Any bad
    row stops the import before anything is stored."""
    lang = policy_language(workspace, lang)
    rows = read_csv(path, aliases=ACK_COLUMNS, required=("email", "date"),
                    known=("email", "date", "version", "name", "department"))
    versions = list(session.exec(select(PolicyVersion).where(col(PolicyVersion.lang) == lang)
                                 .order_by(col(PolicyVersion.number))).all())
    if not versions:
        raise NotFound(f"no policy version in {lang!r} has been published",
                       hint=f"run `smo policy publish --lang {lang}` first; nothing was imported")
    people = _people(session)
    zone = ZoneInfo(workspace.settings.business_hours.timezone)
    today = local_today(workspace)
    acks: list[tuple[str, int, date]] = []
    for row in rows:
        email = row.get("email").lower()
        if email not in people:
            raise row_error(path, row, "email", f"{row.get('email') or '(empty)'} is not in "
                            "the people list")
        day = _row_day(path, row, today, zone)
        if row.get("version"):
            chosen = _row_version(path, row, versions)
        else:
            in_force = [v for v in versions if v.published_at.astimezone(zone).date() <= day]
            if not in_force:
                raise row_error(path, row, "date", f"no version in {lang!r} had been "
                                f"published on {day.isoformat()}")
            chosen = in_force[-1]
        if chosen.published_at.astimezone(zone).date() > day:
            raise row_error(path, row, "date", f"{day.isoformat()} is before version "
                            f"{chosen.number} was published")
        acks.append((email, chosen.number, day))
    return _store(session, acks, lang, path.name)


def ack_status(session: Session, workspace: Workspace, *, lang: str | None = None,
               department: str | None = None) -> tuple[PolicyVersion, list[PersonStatus]]:
    """Every person (of one department, if given) against the current version, by department
    and name."""
    lang = policy_language(workspace, lang)
    current = current_version(session, lang)
    if department is not None and workspace.settings.department(department) is None:
        known = ", ".join(d.key for d in workspace.settings.departments) or "none"
        raise InvalidData(f"unknown department {department!r}", hint=f"departments: {known}")
    statement = select(Person).order_by(col(Person.department), col(Person.name))
    if department is not None:
        statement = statement.where(col(Person.department) == department)
    newest: dict[str, PolicyAck] = {}
    for record in session.exec(select(PolicyAck).where(col(PolicyAck.lang) == lang)):
        if record.email not in newest or record.version > newest[record.email].version:
            newest[record.email] = record
    statuses = []
    for person in session.exec(statement):
        ack = newest.get(person.email)
        state = "none" if ack is None else (
            "current" if ack.version >= current.number else "older")
        statuses.append(PersonStatus(person.email, person.name, person.department, state,
                                     ack.version if ack else None,
                                     ack.acknowledged_on if ack else None))
    return current, statuses


def department_summary(statuses: Iterable[PersonStatus]) -> list[dict[str, Any]]:
    """Per department: people, how many acknowledged the current version, an older one, none."""
    counts: dict[str, Counter[str]] = {}
    for status in statuses:
        counts.setdefault(status.department or "", Counter())[status.state] += 1
    rows = []
    for dept, counter in sorted(counts.items()):
        people = sum(counter.values())
        rows.append({"department": dept, "people": people, "current": counter["current"],
                     "older": counter["older"], "none": counter["none"],
                     "rate": f"{100 * counter['current'] / people:.0f}%"})
    return rows


@dataclass(frozen=True)
class Reminder:
    email: str
    name: str
    department: str | None
    state: str
    subject: str


@dataclass(frozen=True)
class RemindOutcome:
    reminders: list[Reminder]       # queued now (or, in a dry run, that would be)
    reminded_today: int             # left out: they already had today's reminder
    delivery: Any = None            # the outbox's DeliveryReport; None in a dry run


def remind(engine: Engine, workspace: Workspace, env: Mapping[str, str], *,
           lang: str | None = None, department: str | None = None, dry_run: bool = False,
           now: datetime | None = None) -> RemindOutcome:
    """E-mail everyone who has not acknowledged the current version (none, or only an older
    one). Each reminder is an outbox message keyed by person, version and day, so running
    `remind` twice on a day sends nobody two reminders."""
    from smo_cli.services.outbox import deliver

    now = now or utcnow()
    settings = workspace.settings
    lang = policy_language(workspace, lang)
    channel = settings.delivery.channel
    if channel is None or settings.channel(channel) is None:
        raise InvalidData("no delivery channel for reminders",
                            hint="set delivery.channel in smo.yaml to one of `channels`")
    answers = load_policy(workspace)
    with reading(engine) as session:
        current, statuses = ack_status(session, workspace, lang=lang, department=department)
        number, published = current.number, current.published_at
    zone = ZoneInfo(settings.business_hours.timezone)
    day = now.astimezone(zone).date()
    reminders: list[Reminder] = []
    rows: list[OutboxMessage] = []
    for status in statuses:
        if status.state == "current":
            continue
        subject, text, html = _reminder_text(workspace, status, number, published, lang,
                                             answers.acknowledgement)
        reminders.append(Reminder(status.email, status.name, status.department, status.state,
                                  subject))
        rows.append(OutboxMessage(
            key=f"smo-policy-{lang}-v{number}-{status.email}-{day.isoformat()}",
            channel=channel, delivery="reminder", recipients=[status.email], state="pending",
            next_attempt_at=now, created_at=now,
            payload={"subject": subject, "text": text, "html": html, "kind": "policy-reminder",
                     "version": number, "lang": lang}))
    with reading(engine) as session:
        known = set(session.exec(select(OutboxMessage.key).where(
            col(OutboxMessage.key).in_([r.key for r in rows]))).all()) if rows else set()
    fresh = [(reminder, row) for reminder, row in zip(reminders, rows, strict=True)
             if row.key not in known]
    if dry_run or not fresh:
        return RemindOutcome([r for r, _ in fresh], len(known))
    with transaction(engine) as session:
        session.add_all([row for _, row in fresh])
        session.flush()
        ids = [row.id or 0 for _, row in fresh]
    report = deliver(engine, workspace, env, digests=False, only=ids, now=now)
    return RemindOutcome([r for r, _ in fresh], len(known), report)


def _reminder_text(workspace: Workspace, status: PersonStatus, number: int,
                   published: datetime, lang: str, how: str | None) -> tuple[str, str, str]:
    from smo_cli.render.documents import render

    settings = workspace.settings
    zone = ZoneInfo(settings.business_hours.timezone)
    context = {"org": settings.organisation.name, "title": TITLES[lang], "version": number,
               "published": published.astimezone(zone).date(), "person": status,
               "first_name": status.name.split()[0] if status.name.strip() else status.email,
               "officer": settings.officer, "how": how}
    subject = render(f"policy/{lang}/reminder.subject.j2", context,
                     workspace_templates=workspace.templates_dir).strip()
    text = render(f"policy/{lang}/reminder.txt.j2", context,
                  workspace_templates=workspace.templates_dir)
    html = render(f"policy/{lang}/reminder.html.j2", context,
                  workspace_templates=workspace.templates_dir, html=True)
    return subject, text, html


def _people(session: Session) -> set[str]:
    return set(session.exec(select(col(Person.email))).all())




def _version(session: Session, lang: str, number: int | None) -> PolicyVersion:
    if number is None:
        return current_version(session, lang)
    found = session.exec(select(PolicyVersion).where(
        col(PolicyVersion.lang) == lang, col(PolicyVersion.number) == number)).first()
    if found is None:
        raise NotFound(f"no published policy version {number} in {lang!r}",
                       hint="see `smo policy versions`")
    return found


def _check_day(version: PolicyVersion, day: date, workspace: Workspace) -> None:
    zone = ZoneInfo(workspace.settings.business_hours.timezone)
    published = version.published_at.astimezone(zone).date()
    if day > local_today(workspace):
        raise InvalidData(f"{day.isoformat()} is in the future")
    if day < published:
        raise InvalidData(f"{day.isoformat()} is before version {version.number} was "
                          f"published ({published.isoformat()})")


def _row_day(path: Path, row: CsvRow, today: date, zone: ZoneInfo) -> date:
    raw = row.get("date")
    day = parse_day(raw, zone)
    if day is None:
        raise row_error(path, row, "date", f"{raw or '(empty)'!r} is not a date",
                        hint="use 2026-11-27, 27-11-2026 or 2026-11-27T10:15:00")
    if day > today:
        raise row_error(path, row, "date", f"{day.isoformat()} is in the future")
    return day


def _row_version(path: Path, row: CsvRow, versions: list[PolicyVersion]) -> PolicyVersion:
    raw = row.get("version")
    found = next((v for v in versions if raw.isdigit() and v.number == int(raw)), None)
    if found is None:
        raise row_error(path, row, "version", f"{raw!r} is not a published version",
                        hint=f"published: {', '.join(str(v.number) for v in versions)}")
    return found


def parse_day(raw: str, zone: ZoneInfo | None = None) -> date | None:
    """A date as forms and spreadsheets write it: ISO (with or without a time) or day-first
    (27-11-2026, 27/11/2026, 27.11.2026), as Dutch exports do. A time with an offset
    (2026-11-27T23:30:00Z) is the day it was in `zone`, the company's time zone."""
    raw = raw.strip()
    if not raw:
        return None
    matched = _DAY_FIRST.match(raw)
    try:
        if matched:
            return date(int(matched[3]), int(matched[2]), int(matched[1]))
        if len(raw) == 10:
            return date.fromisoformat(raw)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if zone is not None and moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date()


def _store(session: Session, acks: list[tuple[str, int, date]], lang: str,
           source: str) -> AckSummary:
    on_record = {(a.email, a.version) for a in session.exec(
        select(PolicyAck).where(col(PolicyAck.lang) == lang))}
    recorded = already = 0
    for email, number, day in acks:
        if (email, number) in on_record:
            already += 1
            continue
        on_record.add((email, number))
        session.add(PolicyAck(email=email, lang=lang, version=number, acknowledged_on=day,
                              source=source[:200]))
        recorded += 1
    session.flush()
    return AckSummary(recorded, already)

