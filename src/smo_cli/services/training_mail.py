"""The e-mails and calendar entries of training sessions: an invitation (or its update after a
change) and a cancellation, each with a `training.ics` for the invitee's calendar.

Texts come from templates/training/{nl,en}/ (a workspace may override them); dates are written
the way people read them in that language, in the organisation's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from smo_cli.config import Workspace
from smo_cli.db.models import TrainingSession
from smo_cli.render.calendar import CalendarEvent, invitation_ics
from smo_cli.render.documents import render
from smo_cli.services.training import Course

DAYS = {"nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTHS = {"nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                 "september", "oktober", "november", "december"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December")}
ICS_FILE = "training.ics"


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str
    department: str | None


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    ics: str
    method: str                     # REQUEST | CANCEL

    def payload(self, **extra: Any) -> dict[str, Any]:
        """The outbox payload: the outbox turns `attachments` into e-mail attachments."""
        # The charset is said explicitly: without it a text/* part is read as ASCII, and the
        # em dash in the summary or a Dutch "ë" in the description would arrive garbled.
        content_type = f"text/calendar; method={self.method}; charset=utf-8"
        return {"subject": self.subject, "text": self.text, "html": self.html,
                "attachments": [{"filename": ICS_FILE, "content_type": content_type,
                                 "text": self.ics}], **extra}


def uid_domain(workspace: Workspace) -> str:
    """The organisation's domain for calendar UIDs: its website, else the officer's address."""
    settings = workspace.settings
    host = urlparse(settings.organisation.website or "").hostname or ""
    if not host and settings.officer.email:
        host = settings.officer.email.rsplit("@", 1)[1]
    return host.removeprefix("www.").lower() or "smo"


def day_text(moment: datetime, lang: str) -> str:
    """`dinsdag 8 december 2026` / `Tuesday 8 December 2026`."""
    return (f"{DAYS[lang][moment.weekday()]} {moment.day} {MONTHS[lang][moment.month - 1]} "
            f"{moment.year}")


def _context(workspace: Workspace, row: TrainingSession, course: Course, invitee: Invitee,
             trainer_name: str | None) -> dict[str, Any]:
    settings = workspace.settings
    zone = ZoneInfo(settings.business_hours.timezone)
    start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
    return {"org": settings.organisation.name, "officer": settings.officer, "course": course,
            "person": invitee,
            "first_name": invitee.name.split()[0] if invitee.name.strip() else invitee.email,
            "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
            "location": row.location, "trainer": trainer_name,
            "update": row.sequence > 0, "session_id": row.id}


def _event(workspace: Workspace, row: TrainingSession, course: Course, description: str,
           now: datetime) -> CalendarEvent:
    settings = workspace.settings
    zone = ZoneInfo(settings.business_hours.timezone)
    officer = settings.officer
    return CalendarEvent(
        uid=row.uid, sequence=row.sequence, stamp=now, start=row.starts_at.astimezone(zone),
        end=row.ends_at.astimezone(zone), summary=f"{course.title} — {settings.organisation.name}",
        location=row.location, description=description,
        organizer_email=officer.email or "", organizer_name=officer.name)


def session_mail(workspace: Workspace, row: TrainingSession, course: Course, invitee: Invitee,
                 *, lang: str, cancel: bool, trainer_name: str | None,
                 now: datetime) -> Mail:
    """The invitation (or update, or cancellation) of one invitee, with its calendar entry."""
    context = _context(workspace, row, course, invitee, trainer_name)
    zone = ZoneInfo(workspace.settings.business_hours.timezone)
    context["day"] = day_text(row.starts_at.astimezone(zone), lang)
    name = "cancellation" if cancel else "invitation"

    def text(template: str, *, html: bool = False) -> str:
        return render(f"training/{lang}/{template}", context,
                      workspace_templates=workspace.templates_dir, html=html)

    description = text("calendar.txt.j2").strip()
    method = "CANCEL" if cancel else "REQUEST"
    ics = invitation_ics(_event(workspace, row, course, description, now), method=method,
                         attendee_email=invitee.email, attendee_name=invitee.name or None)
    return Mail(subject=" ".join(text(f"{name}.subject.j2").split()),
                text=text(f"{name}.txt.j2"), html=text(f"{name}.html.j2", html=True),
                ics=ics, method=method)
