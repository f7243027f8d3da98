"""The content calendar: what goes out when (a table, CSV or an .ics file for the officer's own
calendar app), and a whole calendar planned in a spreadsheet imported at once.

The import is all-or-nothing: every row is checked (time, accounts, text length, images and
their alt text) before any is stored, and an error names the line and the column. Importing
the same file twice adds nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.models import Post
from smo_cli.db.types import utcnow
from smo_cli.errors import SmoError
from smo_cli.publish.text import offline_media_problems, offline_text_problems
from smo_cli.services.csv_files import CsvRow, read_csv, row_error
from smo_cli.services.engage import (
    PAST_GRACE,
    Checked,
    create_post,
    in_range,
    local_text,
    media_files,
    moment_of,
    parse_moment,
    post_language,
    resolve_accounts,
    urls_by_post,
    zone_of,
)

CALENDAR_COLUMNS = ["id", "at", "weekday", "state", "to", "text", "media", "urls"]
EVENT_MINUTES = 15
PRODID = "-//smo//content calendar//EN"
IMPORT_COLUMNS = ("at", "text", "to", "media", "alt", "lang")
IMPORT_ALIASES = {"when": "at", "time": "at", "datetime": "at", "tijd": "at", "wanneer": "at",
                  "tekst": "text", "accounts": "to", "account": "to", "naar": "to",
                  "image": "media", "images": "media", "afbeelding": "media",
                  "alt text": "alt", "alt_text": "alt", "alt-tekst": "alt", "alttekst": "alt",
                  "language": "lang", "taal": "lang"}
SEPARATOR = "|"          # several images (and their alt texts) in one cell


def _posts(session: Session, workspace: Workspace, start: date | None, end: date | None,
           *, cancelled: bool) -> list[Post]:
    zone = zone_of(workspace)
    posts = [p for p in session.exec(select(Post).order_by(col(Post.id)))
             if moment_of(p) is not None and (cancelled or p.state != "cancelled")
             and in_range(moment_of(p), zone, start, end)]
    return sorted(posts, key=lambda p: (moment_of(p) or utcnow(), p.id or 0))


def default_start(workspace: Workspace) -> date:
    return utcnow().astimezone(zone_of(workspace)).date()


def calendar_rows(session: Session, workspace: Workspace, start: date | None,
                  end: date | None) -> list[dict[str, Any]]:
    """Dated posts from `start` to `end` (local days, both included), cancelled ones left out."""
    zone = zone_of(workspace)
    posts = _posts(session, workspace, start, end, cancelled=False)
    urls = urls_by_post(session, [p.id or 0 for p in posts])
    rows = []
    for post in posts:
        moment = moment_of(post)
        rows.append({"id": post.id, "at": local_text(moment, zone),
                     "weekday": moment.astimezone(zone).strftime("%a") if moment else "",
                     "state": post.state, "to": list(post.accounts), "text": post.text,
                     "media": len(post.media), "urls": urls.get(post.id or 0, [])})
    return rows


def calendar_ics(session: Session, workspace: Workspace, start: date | None,
                 end: date | None) -> str:
    """One VEVENT per post, with a UID that stays the same, so a calendar app that imports the
    file again updates its entries; cancelled posts come as STATUS:CANCELLED."""
    import icalendar

    zone = zone_of(workspace)
    settings = workspace.settings
    domain = urlsplit(settings.organisation.website or "").hostname or "smo.invalid"
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{settings.organisation.name}: content calendar")
    posts = _posts(session, workspace, start, end, cancelled=True)
    urls = urls_by_post(session, [p.id or 0 for p in posts])
    for post in posts:
        moment = moment_of(post)
        assert moment is not None
        begins = moment.astimezone(zone)
        event = icalendar.Event()
        event.add("uid", f"smo-post-{post.id}@{domain}")
        event.add("dtstamp", post.updated_at)
        event.add("dtstart", begins)
        event.add("dtend", begins + timedelta(minutes=EVENT_MINUTES))
        first_line = " ".join(post.text.split())
        event.add("summary", f"{', '.join(post.accounts)}: {first_line[:60]}"
                  + ("…" if len(first_line) > 60 else ""))
        lines = [post.text, "", f"To: {', '.join(post.accounts)}", f"State: {post.state}"]
        lines += [f"Published: {url}" for url in urls.get(post.id or 0, [])]
        if post.last_error:
            lines.append(f"Problem: {post.last_error}")
        event.add("description", "\n".join(lines))
        event.add("status", {"draft": "TENTATIVE", "cancelled": "CANCELLED"}.get(
            post.state, "CONFIRMED"))
        event.add("categories", [post.state])
        event.add("transp", "TRANSPARENT")      # a post does not make the officer busy
        calendar.add_component(event)
    if posts:
        first, last = moment_of(posts[0]), moment_of(posts[-1])
        assert first is not None and last is not None
        calendar.add_missing_timezones(first_date=date(first.year - 1, 1, 1),
                                       last_date=date(last.year + 2, 1, 1))
    text: str = calendar.to_ical().decode("utf-8")
    return text


@dataclass(frozen=True)
class CalendarImport:
    scheduled: int
    drafts: int
    already: int                # the same text, time and accounts were on the calendar
    warnings: list[str]

    def __str__(self) -> str:
        return (f"{self.scheduled} scheduled, {self.drafts} drafts, {self.already} already on "
                "the calendar")


def import_calendar(session: Session, workspace: Workspace, path: Path, *,
                    now: datetime | None = None) -> CalendarImport:
    """Posts from a CSV with the columns at, text, to (and media, alt, lang). An empty `at`
    makes a draft. Image paths are relative to the CSV's folder; several images go in one
    cell separated by |, their alt texts likewise."""
    now = now or utcnow()
    rows = read_csv(path, aliases=IMPORT_ALIASES, required=("at", "text", "to"),
                    known=IMPORT_COLUMNS)
    on_calendar = {_identity(p.text, p.scheduled_at, p.accounts)
                   for p in session.exec(select(Post).where(col(Post.state) != "cancelled"))}
    checked: list[Checked] = []
    already = 0
    for row in rows:
        item = _check_row(workspace, path, row, now)
        identity = _identity(item.text, item.at, [a.name for a in item.accounts])
        if identity in on_calendar:
            already += 1
            continue
        on_calendar.add(identity)
        checked.append(item)
    for item in checked:
        create_post(session, item, state="scheduled" if item.at else "draft")
    warnings = [w for item in checked for w in item.warnings]
    return CalendarImport(sum(1 for c in checked if c.at), sum(1 for c in checked if not c.at),
                          already, warnings)


def _identity(text: str, at: datetime | None, accounts: list[str]) -> tuple[str, str, str]:
    return (text.strip(), at.isoformat() if at else "", ",".join(sorted(accounts)))


def _check_row(workspace: Workspace, path: Path, row: CsvRow, now: datetime) -> Checked:
    settings = workspace.settings
    text = row.get("text")
    at = None
    if row.get("at"):
        try:
            at = parse_moment(row.get("at"), zone_of(workspace), now)
        except SmoError as exc:
            raise row_error(path, row, "at", exc.message, exc.hint) from None
        if at < now - PAST_GRACE:
            raise row_error(path, row, "at", f"{row.get('at')} is in the past")
    try:
        accounts = resolve_accounts(settings, row.get("to"))
    except SmoError as exc:
        raise row_error(path, row, "to", exc.message, exc.hint) from None
    images = [p.strip() for p in row.get("media").split(SEPARATOR) if p.strip()]
    alts = [a.strip() for a in row.get("alt").split(SEPARATOR)] if row.get("alt") else []
    if len(images) != len(alts):
        raise row_error(path, row, "alt", f"{len(images)} images but {len(alts)} alt texts",
                        hint=f"one alt text per image, separated by {SEPARATOR}")
    media = media_files([Path(p) for p in images], alts, path.parent.resolve())
    warnings: list[str] = []
    for account in accounts:
        errors, notes = offline_text_problems(account.platform, text)
        if errors:
            raise row_error(path, row, "text", f"{account.name}: {'; '.join(errors)}")
        warnings += [f"line {row.line}: {account.name}: {n}" for n in notes]
        problems = offline_media_problems(account.platform, tuple(media))
        if problems:
            column = "alt" if all("alt text" in p for p in problems) else "media"
            raise row_error(path, row, column, f"{account.name}: {'; '.join(problems)}")
    try:
        lang = post_language(settings, text, row.get("lang") or None)
    except SmoError as exc:
        raise row_error(path, row, "lang", exc.message, exc.hint) from None
    return Checked(text, accounts, at, media, lang, None, None, warnings)
