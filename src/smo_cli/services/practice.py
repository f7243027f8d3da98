"""Staying active personally (job 10): the officer's practice log and learning goals.

The log records what the officer tried on social media (a format, a platform, a tool), with tags,
a link to the post or article and what came of it. Learning goals have an optional target date;
a goal is *overdue* when it is still open after its target date. Days are calendar days on the
wall clock of smo.yaml's `business_hours.timezone`, the same zone as every other date in smo.

Callers pass `today`, so the rules ("not in the future", "overdue") are testable on any day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from smo_cli.db.models import LearningGoal, PracticeEntry
from smo_cli.errors import Conflict, InvalidData, NotFound

ENTRY_COLUMNS = ["id", "logged_on", "text", "tags", "link", "outcome"]
GOAL_COLUMNS = ["id", "text", "target_date", "done_on", "state", "days_left"]
GOAL_STATES = ("all", "open", "done")
LINK_MAX = 500                      # the column's length
GOAL_TEXT_MAX = 500
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_TAG = re.compile(r"^[\w][\w.+-]*$")




def parse_day(raw: str, option: str) -> date:
    """A day as people type it: 2026-11-27, or day-first 27-11-2026 as Dutch and Belgian
    calendars write it; anything else is one clear error naming the option."""
    text = raw.strip()
    matched = _DAY_FIRST.match(text)
    try:
        if matched:
            return date(int(matched[3]), int(matched[2]), int(matched[1]))
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidData(f"{option} {raw!r} is not a date", hint="use 2026-11-27") from None


def check_link(link: str) -> str:
    """An http(s) address with a host: the log links to posts and articles, nothing else
    (a `javascript:` or `file:` link in a report someone opens is a risk, not a reference)."""
    text = link.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(
            c.isspace() for c in text):
        raise InvalidData(f"--link {link!r} is not an http(s) address",
                          hint="e.g. https://mastodon.social/@acme/1234")
    if len(text) > LINK_MAX:
        raise InvalidData(f"--link is {len(text)} characters long",
                          hint=f"at most {LINK_MAX}; link to a shorter address")
    return text


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case tags without `#`, each once, in the order given; `--tag video,reels` is two.

    Lower case, so `Video` and `video` are counted as one tag in `log list --tag`."""
    cleaned: list[str] = []
    for raw in tags:
        for part in raw.split(","):
            tag = part.strip().lstrip("#").lower()
            if not tag:
                continue
            if not _TAG.match(tag):
                raise InvalidData(f"--tag {part.strip()!r} is not a tag",
                                  hint="letters, digits, and . + - _ inside, e.g. short-video")
            if tag not in cleaned:
                cleaned.append(tag)
    return cleaned


def _text(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidData(f"the {what} is empty", hint="say in a few words what it is")
    return cleaned


def _not_future(day: date, today: date, option: str) -> date:
    if day > today:
        raise InvalidData(f"{option} {day.isoformat()} is in the future",
                          hint=f"log what you did, up to today ({today.isoformat()})")
    return day


# --- the practice log ------------------------------------------------------------------------

def entry_row(entry: PracticeEntry) -> dict[str, Any]:
    """An entry as the commands show it (the keys are ENTRY_COLUMNS, pinned for scripts)."""
    return {"id": entry.id, "logged_on": entry.logged_on, "text": entry.text,
            "tags": list(entry.tags), "link": entry.link, "outcome": entry.outcome}


def add_entry(session: Session, *, text: str, today: date, tags: Iterable[str] = (),
              link: str | None = None, outcome: str | None = None,
              on: date | None = None) -> PracticeEntry:
    """Log what the officer tried, on `on` (default today, never later)."""
    entry = PracticeEntry(
        logged_on=_not_future(on, today, "--date") if on else today,
        text=_text(text, "entry"), tags=clean_tags(tags),
        link=check_link(link) if link else None,
        outcome=(outcome or "").strip() or None)
    session.add(entry)
    session.flush()
    return entry


def list_entries(session: Session, *, tag: str | None = None,
                 since: date | None = None) -> list[PracticeEntry]:
    """Entries oldest first (a diary reads forwards), optionally of one tag or from a day on."""
    statement = select(PracticeEntry).order_by(col(PracticeEntry.logged_on),
                                               col(PracticeEntry.id))
    if since is not None:
        statement = statement.where(col(PracticeEntry.logged_on) >= since)
    entries = list(session.exec(statement))
    if tag is not None:
        # Tags are a JSON list; filtering here keeps one query that works on SQLite and PostgreSQL.
        wanted = clean_tags([tag])
        entries = [e for e in entries if set(wanted) <= set(e.tags)]
    return entries


def get_entry(session: Session, entry_id: int) -> PracticeEntry:
    entry = session.get(PracticeEntry, entry_id)
    if entry is None:
        raise NotFound(f"no log entry {entry_id}", hint="see `smo me log list`")
    return entry


@dataclass(frozen=True)
class EntryChanges:
    """What `log edit` changes; None leaves a field alone, "" clears a link or outcome."""

    text: str | None = None
    tags: list[str] | None = None
    link: str | None = None
    outcome: str | None = None
    on: date | None = None

    def empty(self) -> bool:
        return all(value is None for value in (self.text, self.tags, self.link, self.outcome,
                                               self.on))


def edit_entry(session: Session, entry_id: int, changes: EntryChanges, *,
               today: date) -> PracticeEntry:
    """Change an entry's fields; most often to add the outcome once it is known."""
    entry = get_entry(session, entry_id)
    if changes.text is not None:
        entry.text = _text(changes.text, "entry")
    if changes.tags is not None:
        entry.tags = clean_tags(changes.tags)
    if changes.link is not None:
        entry.link = check_link(changes.link) if changes.link.strip() else None
    if changes.outcome is not None:
        entry.outcome = changes.outcome.strip() or None
    if changes.on is not None:
        entry.logged_on = _not_future(changes.on, today, "--date")
    session.add(entry)
    session.flush()
    return entry


def remove_entry(session: Session, entry_id: int) -> PracticeEntry:
    entry = get_entry(session, entry_id)
    session.delete(entry)
    session.flush()
    return entry


# --- learning goals --------------------------------------------------------------------------

def goal_state(goal: LearningGoal, today: date) -> str:
    """done; overdue (open after its target date); or open. The target day itself is not late."""
    if goal.done_on is not None:
        return "done"
    if goal.target_date is not None and goal.target_date < today:
        return "overdue"
    return "open"


def goal_row(goal: LearningGoal, today: date) -> dict[str, Any]:
    """A goal as the commands show it (keys GOAL_COLUMNS); days_left is negative when overdue
    and empty for a goal that is done or has no target date."""
    days_left = None
    if goal.done_on is None and goal.target_date is not None:
        days_left = (goal.target_date - today).days
    return {"id": goal.id, "text": goal.text, "target_date": goal.target_date,
            "done_on": goal.done_on, "state": goal_state(goal, today), "days_left": days_left}


def add_goal(session: Session, *, text: str, today: date,
             by: date | None = None) -> LearningGoal:
    """A learning goal, optionally to be met by a day (today or later: a target already past
    would be overdue the moment it is written)."""
    cleaned = _text(text, "goal")
    if len(cleaned) > GOAL_TEXT_MAX:
        raise InvalidData(f"the goal is {len(cleaned)} characters long",
                          hint=f"at most {GOAL_TEXT_MAX}; keep it to one sentence")
    if by is not None and by < today:
        raise InvalidData(f"--by {by.isoformat()} is in the past",
                          hint=f"a target date is today ({today.isoformat()}) or later")
    goal = LearningGoal(text=cleaned, target_date=by)
    session.add(goal)
    session.flush()
    return goal


def list_goals(session: Session, *, state: str = "all") -> list[LearningGoal]:
    """Open goals first, soonest target first (no target last), then met goals, latest first."""
    if state not in GOAL_STATES:
        raise InvalidData(f"unknown goal state {state!r}", hint="open, done or all")
    goals = list(session.exec(select(LearningGoal).order_by(col(LearningGoal.id))))
    open_goals = sorted((g for g in goals if g.done_on is None),
                        key=lambda g: (g.target_date is None, g.target_date or date.max))
    done = sorted((g for g in goals if g.done_on is not None),
                  key=lambda g: g.done_on or date.min, reverse=True)
    return {"all": open_goals + done, "open": open_goals, "done": done}[state]


def get_goal(session: Session, goal_id: int) -> LearningGoal:
    goal = session.get(LearningGoal, goal_id)
    if goal is None:
        raise NotFound(f"no learning goal {goal_id}", hint="see `smo me goals list`")
    return goal


def complete_goal(session: Session, goal_id: int, *, today: date,
                  on: date | None = None) -> LearningGoal:
    """Mark a goal met on `on` (default today, never later). Met twice is a conflict: the first
    date is what `me stats` counts, so it is not silently moved."""
    goal = get_goal(session, goal_id)
    if goal.done_on is not None:
        raise Conflict(f"goal {goal_id} was already met on {goal.done_on.isoformat()}",
                       hint="remove it and add it again to start over")
    goal.done_on = _not_future(on, today, "--on") if on else today
    session.add(goal)
    session.flush()
    return goal


def remove_goal(session: Session, goal_id: int) -> LearningGoal:
    goal = get_goal(session, goal_id)
    session.delete(goal)
    session.flush()
    return goal
