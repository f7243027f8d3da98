"""Calendar entries (iCalendar, RFC 5545/5546) for training invitations and cancellations.

Built with the `icalendar` library rather than by hand: it folds long lines, escapes commas and
semicolons in text, and writes the VTIMEZONE a calendar needs to place a local time correctly
on either side of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import icalendar

PRODID = "-//smo//training//EN"
METHODS = ("REQUEST", "CANCEL")


@dataclass(frozen=True)
class CalendarEvent:
    """One session as a calendar sees it; times are aware and in the organisation's zone."""

    uid: str                        # the same for the session's whole life
    sequence: int                   # grows with every change, so calendars replace the entry
    stamp: datetime                 # when this version of the entry was made (DTSTAMP)
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    organizer_email: str
    organizer_name: str | None = None


def invitation_ics(event: CalendarEvent, *, method: str, attendee_email: str,
                   attendee_name: str | None = None) -> str:
    """A calendar with one VEVENT for one attendee: METHOD:REQUEST invites (or updates, with
    a higher SEQUENCE), METHOD:CANCEL removes the entry from the attendee's calendar."""
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    entry = icalendar.Event()
    entry.add("uid", event.uid)
    entry.add("sequence", event.sequence)
    entry.add("dtstamp", event.stamp)
    entry.add("dtstart", event.start)
    entry.add("dtend", event.end)
    entry.add("summary", event.summary)
    entry.add("location", event.location)
    entry.add("description", event.description)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    entry.add("organizer", _address(event.organizer_email, event.organizer_name))
    attendee = _address(attendee_email, attendee_name)
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    entry.add("attendee", attendee)
    calendar.add_component(entry)
    # Only the rules around the session: the whole zone history since 1970 is kilobytes of
    # RDATEs, and a calendar needs just the offsets in force when the session happens.
    calendar.add_missing_timezones(first_date=date(event.start.year - 1, 1, 1),
                                   last_date=date(event.end.year + 2, 1, 1))
    text: str = calendar.to_ical().decode("utf-8")
    return text


def _address(email: str, name: str | None) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = icalendar.vText(name)
    return address
