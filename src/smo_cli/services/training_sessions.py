"""Training sessions (job 5): plan, change and cancel them; invite people by e-mail with a
calendar entry.

A session keeps one calendar UID for its whole life and a SEQUENCE that grows with every change,
so a calendar replaces the entry it already has instead of adding a second one. Invitations and
cancellations go through the outbox, like policy reminders: each is an outbox message keyed by
session, person and sequence, so running `invite` twice sends nobody the same version twice,
and a failed send is retried by the next delivery.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from smo_cli.config import Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import OutboxMessage, TrainingCompletion, TrainingInvite, TrainingSession
from smo_cli.db.types import utcnow
from smo_cli.errors import Conflict, InvalidData, NotFound, UsageError
from smo_cli.services.policy import policy_language
from smo_cli.services.training import (
    Course,
    audience_of,
    check_department,
    get_course,
    load_directory,
)
from smo_cli.services.training_mail import Invitee, Mail, session_mail, uid_domain

INVITE_DELIVERY = "invite"          # outbox delivery kinds (at most 10 characters)
CANCEL_DELIVERY = "cancel"


def parse_local(raw: str, workspace: Workspace) -> datetime:
    """`2026-12-08 09:00` (or with a T) as local time in smo.yaml's time zone, in UTC."""
    zone = ZoneInfo(workspace.settings.business_hours.timezone)
    try:
        naive = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        raise InvalidData(f"--at {raw!r} is not a date and time",
                          hint="use e.g. 2026-12-08 09:00 (local time)") from None
    if naive.tzinfo is not None:
        return naive.astimezone(ZoneInfo("UTC"))
    local = naive.replace(tzinfo=zone)
    # A time skipped when the clocks go forward does not survive the round trip through UTC.
    if local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidData(f"{raw} does not exist in {zone.key} (the clocks move forward then)")
    return local.astimezone(ZoneInfo("UTC"))


def local_text(moment: datetime, workspace: Workspace) -> str:
    zone = ZoneInfo(workspace.settings.business_hours.timezone)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def add_session(session: Session, workspace: Workspace, *, course: str, at: str, location: str,
                trainer: str | None = None, capacity: int | None = None) -> TrainingSession:
    """Plan a session of a course; it ends the course's duration after it starts."""
    chosen = get_course(workspace, course)
    starts = parse_local(at, workspace)
    if capacity is not None and capacity < 1:
        raise UsageError("--capacity must be at least 1")
    row = TrainingSession(course=chosen.key, starts_at=starts,
                          ends_at=starts + timedelta(minutes=chosen.duration),
                          location=location.strip(), trainer=_email(trainer),
                          capacity=capacity, uid=f"smo-pending-{secrets.token_hex(8)}")
    session.add(row)
    session.flush()
    # The id is part of the UID, so it is set once the row has one; the random part keeps UIDs
    # unique across workspaces that count sessions from 1 for the same organisation.
    row.uid = f"smo-training-{row.id}-{secrets.token_hex(6)}@{uid_domain(workspace)}"
    session.flush()
    return row


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip().lower()
    if "@" not in email or " " in email:
        raise InvalidData(f"--trainer {value!r} is not an e-mail address")
    return email


def get_session(session: Session, session_id: int) -> TrainingSession:
    row = session.get(TrainingSession, session_id)
    if row is None:
        raise NotFound(f"no training session {session_id}", hint="see `smo training session list`")
    return row


def list_sessions(session: Session, workspace: Workspace, *, upcoming: bool = False,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or utcnow()
    statement = select(TrainingSession).order_by(col(TrainingSession.starts_at))
    if upcoming:
        statement = statement.where(col(TrainingSession.starts_at) >= now,
                                    col(TrainingSession.cancelled_at).is_(None))
    invited = dict(session.exec(select(TrainingInvite.session_id, func.count()).group_by(
        col(TrainingInvite.session_id))).all())
    attended = dict(session.exec(select(TrainingCompletion.session_id, func.count()).where(
        col(TrainingCompletion.session_id).is_not(None)).group_by(
        col(TrainingCompletion.session_id))).all())
    # The UID is for calendars, not people: `session add` shows it, the list leaves it out.
    return [{k: v for k, v in session_record(r, workspace, now, invited=invited.get(r.id or 0, 0),
                                             attended=attended.get(r.id or 0, 0)).items()
             if k != "uid"} for r in session.exec(statement).all()]


def session_record(row: TrainingSession, workspace: Workspace, now: datetime | None = None, *,
                   invited: int | None = None, attended: int | None = None) -> dict[str, Any]:
    """A session as people read it: local times, and planned / held / cancelled."""
    now = now or utcnow()
    state = "cancelled" if row.cancelled_at else ("held" if row.starts_at <= now else "planned")
    record = {"id": row.id, "course": row.course, "starts": local_text(row.starts_at, workspace),
              "ends": local_text(row.ends_at, workspace), "location": row.location,
              "trainer": row.trainer, "capacity": row.capacity, "invited": invited,
              "attended": attended, "sequence": row.sequence, "state": state, "uid": row.uid}
    return {k: v for k, v in record.items() if v is not None or k in ("trainer", "capacity")}


def ics_filename(session_id: int, email: str) -> str:
    """One file per invitee for --ics-out, safe on any file system."""
    return f"training-{session_id}-{re.sub(r'[^A-Za-z0-9._-]+', '_', email)}.ics"


def edit_session(session: Session, workspace: Workspace, session_id: int, *,
                 at: str | None = None, location: str | None = None) -> TrainingSession:
    """Move a session or change its place; the next `invite` sends everyone invited the
    updated calendar entry (same UID, higher SEQUENCE)."""
    if at is None and location is None:
        raise UsageError("nothing to change", hint="give --at and/or --location")
    row = get_session(session, session_id)
    if row.cancelled_at is not None:
        raise Conflict(f"training session {session_id} was cancelled")
    if at is not None:
        duration = row.ends_at - row.starts_at
        row.starts_at = parse_local(at, workspace)
        row.ends_at = row.starts_at + duration
    if location is not None:
        row.location = location.strip()
    row.sequence += 1
    row.updated_at = utcnow()
    session.flush()
    return row


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str
    department: str | None
    kind: str                       # new | update | cancel
    subject: str
    ics: str


@dataclass
class InviteOutcome:
    session_id: int
    sequence: int
    invitations: list[Invitation] = field(default_factory=list)   # queued now (or would be)
    full: list[Invitee] = field(default_factory=list)             # did not fit the capacity
    already: int = 0                # chosen people who have the current version already
    delivery: Any = None            # the outbox's DeliveryReport; None in a dry run


def invite(engine: Engine, workspace: Workspace, env: Mapping[str, str], session_id: int, *,
           department: str | None = None, needs: bool = False, lang: str | None = None,
           dry_run: bool = False, now: datetime | None = None) -> InviteOutcome:
    """Invite the course's audience (of one department, or only who needs the course) to a
    session; people invited to an earlier version of the session get the update."""
    now = now or utcnow()
    lang = policy_language(workspace, lang)
    channel = _channel(workspace)
    check_department(workspace, department)
    with reading(engine) as session:
        row = get_session(session, session_id)
        if row.cancelled_at is not None:
            raise Conflict(f"training session {session_id} was cancelled")
        if row.starts_at <= now:
            raise Conflict(f"training session {session_id} started at "
                           f"{local_text(row.starts_at, workspace)}; invitations are for "
                           "sessions still to come")
        course = get_course(workspace, row.course)
        chosen = _chosen(session, workspace, course, department, needs)
        invited = {i.email: i for i in session.exec(select(TrainingInvite).where(
            col(TrainingInvite.session_id) == session_id))}
        names = {p.email: p for p in load_directory(session).people}
        trainer = names.get(row.trainer or "")
        trainer_name = trainer.name if trainer else row.trainer
    outcome = InviteOutcome(session_id, row.sequence)
    # Everyone holding an older version gets the update, whoever this round is for: their
    # calendar would otherwise keep the old time or place. Updates take no new places.
    updates = [Invitee(e, names[e].name if e in names else e,
                       names[e].department if e in names else None)
               for e, i in invited.items() if i.sequence < row.sequence]
    fresh = [p for p in chosen if p.email not in invited and p.email != row.trainer]
    outcome.already = sum(1 for p in chosen if p.email in invited
                          and invited[p.email].sequence >= row.sequence)
    room = len(fresh) if row.capacity is None else max(row.capacity - len(invited), 0)
    fresh, outcome.full = fresh[:room], fresh[room:]
    queued: list[tuple[OutboxMessage, Invitee]] = []
    for invitee in [*updates, *fresh]:
        mail = session_mail(workspace, row, course, invitee, lang=lang, cancel=False,
                            trainer_name=trainer_name, now=now)
        kind = "update" if invitee.email in invited else "new"
        outcome.invitations.append(Invitation(invitee.email, invitee.name, invitee.department,
                                              kind, mail.subject, mail.ics))
        queued.append((_outbox_row(row, invitee.email, str(row.sequence), channel, mail,
                                   INVITE_DELIVERY, now), invitee))
    if dry_run or not queued:
        return outcome
    with transaction(engine) as session:
        for message, invitee in queued:
            session.add(message)
            record = session.exec(select(TrainingInvite).where(
                col(TrainingInvite.session_id) == session_id,
                col(TrainingInvite.email) == invitee.email)).first()
            if record is None:
                record = TrainingInvite(session_id=session_id, email=invitee.email, invited_at=now)
            record.sequence, record.outbox_key = row.sequence, message.key
            session.add(record)
        session.flush()
        ids = [message.id or 0 for message, _ in queued]
    outcome.delivery = _deliver(engine, workspace, env, ids, now)
    return outcome


def _chosen(session: Session, workspace: Workspace, course: Course, department: str | None,
            needs: bool) -> list[Invitee]:
    """Who this invitation round is for, by department and name."""
    if needs:
        # Imported here: training_records imports this module (attendance is of sessions).
        from smo_cli.services.training_records import needs_rows

        wanted = {r["email"] for r in needs_rows(session, workspace, department=department)
                  if r["course"] == course.key}
    directory = load_directory(session, department)
    return [Invitee(p.email, p.name, p.department) for p in audience_of(course, directory)
            if not needs or p.email in wanted]


@dataclass
class CancelOutcome:
    session_id: int
    cancellations: list[Invitation] = field(default_factory=list)
    delivery: Any = None


def cancel_session(engine: Engine, workspace: Workspace, env: Mapping[str, str],
                   session_id: int, *, lang: str | None = None, dry_run: bool = False,
                   now: datetime | None = None) -> CancelOutcome:
    """Cancel a session and send everyone invited a METHOD:CANCEL calendar entry, which
    removes the session from their calendar."""
    now = now or utcnow()
    lang = policy_language(workspace, lang)
    with reading(engine) as session:
        row = get_session(session, session_id)
        if row.cancelled_at is not None:
            raise Conflict(f"training session {session_id} was cancelled already")
        course = get_course(workspace, row.course)
        invited = [i.email for i in session.exec(select(TrainingInvite).where(
            col(TrainingInvite.session_id) == session_id).order_by(col(TrainingInvite.id)))]
        names = {p.email: p for p in load_directory(session).people}
    channel = _channel(workspace) if invited else ""
    # A cancellation is a change too: calendars only accept it with a higher SEQUENCE.
    row.sequence += 1
    outcome = CancelOutcome(session_id)
    queued: list[OutboxMessage] = []
    for email in invited:
        person = names.get(email)
        invitee = Invitee(email, person.name if person else email,
                          person.department if person else None)
        mail = session_mail(workspace, row, course, invitee, lang=lang, cancel=True,
                            trainer_name=None, now=now)
        outcome.cancellations.append(Invitation(email, invitee.name, invitee.department,
                                                "cancel", mail.subject, mail.ics))
        queued.append(_outbox_row(row, email, "cancel", channel, mail, CANCEL_DELIVERY, now))
    if dry_run:
        return outcome
    with transaction(engine) as session:
        stored = get_session(session, session_id)
        stored.sequence, stored.cancelled_at, stored.updated_at = row.sequence, now, now
        for invite_row in session.exec(select(TrainingInvite).where(
                col(TrainingInvite.session_id) == session_id)):
            invite_row.sequence = row.sequence
        session.add_all(queued)
        session.flush()
        ids = [message.id or 0 for message in queued]
    if ids:
        outcome.delivery = _deliver(engine, workspace, env, ids, now)
    return outcome


def _channel(workspace: Workspace) -> str:
    settings = workspace.settings
    channel = settings.delivery.channel
    if channel is None or settings.channel(channel) is None:
        raise InvalidData("no delivery channel for training invitations",
                          hint="set delivery.channel in smo.yaml to one of `channels`")
    if not settings.officer.email:
        raise InvalidData("smo.yaml has no officer.email to organise the session",
                          hint="set officer.name and officer.email in smo.yaml")
    return channel


def _outbox_row(row: TrainingSession, email: str, version: str, channel: str, mail: Mail,
                delivery: str, now: datetime) -> OutboxMessage:
    who = email if len(email) <= 60 else hashlib.sha256(email.encode()).hexdigest()[:16]
    return OutboxMessage(
        key=f"smo-training-{row.id}-{version}-{who}", channel=channel, delivery=delivery,
        recipients=[email], state="pending", next_attempt_at=now, created_at=now,
        payload=mail.payload(kind=f"training-{delivery}", session=row.id,
                             sequence=row.sequence))


def _deliver(engine: Engine, workspace: Workspace, env: Mapping[str, str], ids: list[int],
             now: datetime) -> Any:
    from smo_cli.services.outbox import deliver

    return deliver(engine, workspace, env, digests=False, only=ids, now=now)
