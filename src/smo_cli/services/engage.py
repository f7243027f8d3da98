"""Conversation with audiences (job 8): the content calendar of posts and the accounts they go to.

A post is written once and goes to one or more accounts of `engage.accounts` in smo.yaml:
draft → scheduled → publishing → published | failed, or cancelled. Publishing itself is in
engage_publish, the calendar views and the CSV import in engage_calendar.

Times are entered and shown on the wall clock of `business_hours.timezone` and stored in UTC.
Everything that can be checked without a server is checked when a post is written: Bluesky's
300 characters, alt text for every image, that each image exists and is one. Mastodon servers
set their own limit, so a text over the default 500 is a warning until it is published.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from smo_cli.config import EngageAccount, Settings, Workspace, secret
from smo_cli.db.models import Assignment, Mention, Post, PostDelivery
from smo_cli.db.types import utcnow
from smo_cli.errors import Conflict, InvalidData, NotFound, UsageError
from smo_cli.publish.base import MediaFile
from smo_cli.publish.text import offline_problems

STATES = ("draft", "scheduled", "publishing", "published", "failed", "cancelled")
EDITABLE = ("draft", "scheduled")
POST_COLUMNS = ["id", "state", "at", "to", "text", "media", "lang", "reply_to", "urls",
                "last_error"]
ACCOUNT_COLUMNS = ["name", "platform", "owner", "address", "secret", "secret_set"]
PAST_GRACE = timedelta(minutes=1)       # "--at 10:15" typed at 10:15:30 is not in the past
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T](\d{1,2}):(\d{2}))?$")


# --- accounts -------------------------------------------------------------------------------------

def account_rows(settings: Settings, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The configured accounts, with the name of their secret and whether it is set (never
    its value)."""
    return [{"name": a.name, "platform": a.platform, "owner": a.owner, "address": address(a),
             "secret": a.secret_name, "secret_set": bool(secret(env, a.secret_name))}
            for a in settings.engage.accounts]


def address(account: EngageAccount) -> str:
    if account.platform == "mastodon":
        return account.instance or ""
    return f"@{(account.handle or '').lstrip('@')} on {account.service}"


def resolve_accounts(settings: Settings, spec: str | Sequence[str]) -> list[EngageAccount]:
    """--to: account names, or a platform name when one account is on it ("mastodon")."""
    accounts = settings.engage.accounts
    if not accounts:
        raise InvalidData("no posting accounts in smo.yaml",
                          hint="add them under engage.accounts (see the README)")
    words = spec.split(",") if isinstance(spec, str) else list(spec)
    chosen: list[EngageAccount] = []
    for word in (w.strip() for w in words):
        if not word:
            continue
        found = settings.engage.account(word)
        if found is None and word in ("mastodon", "bluesky"):
            on_platform = [a for a in accounts if a.platform == word]
            if len(on_platform) > 1:
                raise UsageError(f"--to {word} is ambiguous: "
                                 f"{', '.join(a.name for a in on_platform)}",
                                 hint="name the account")
            found = on_platform[0] if on_platform else None
        if found is None:
            raise NotFound(f"no posting account {word!r}",
                           hint=f"accounts: {', '.join(a.name for a in accounts)}")
        if found not in chosen:
            chosen.append(found)
    if not chosen:
        raise UsageError("--to names no account", hint="e.g. --to mastodon,bluesky")
    return chosen


# --- times ----------------------------------------------------------------------------------------

def zone_of(workspace: Workspace) -> ZoneInfo:
    return ZoneInfo(workspace.settings.business_hours.timezone)


def parse_moment(value: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """A time as the officer types it, in UTC: `now`, 2026-12-01 09:30, 2026-12-01T09:30,
    01-12-2026 09:30, or with an explicit offset. Without one it is local (smo.yaml's zone)."""
    raw = value.strip()
    if raw.lower() == "now":
        return now or utcnow()
    matched = _DAY_FIRST.match(raw)
    try:
        if matched:
            day, month, year, hour, minute = matched.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidData(f"{raw!r} is not a time",
                          hint="use 2026-12-01 09:30 (local time) or now") from None
    if moment.tzinfo is not None:
        return moment.astimezone(ZoneInfo("UTC"))
    local = moment.replace(tzinfo=zone)
    # A wall-clock time skipped by the spring change (02:30 on the last Sunday of March)
    # does not exist: converting there and back gives another time. Say so, do not guess.
    if local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != moment:
        raise InvalidData(f"{raw} does not exist in {zone.key} (the clocks skip it)",
                          hint="pick another time")
    return local.astimezone(ZoneInfo("UTC"))


def parse_day(value: str | None, option: str) -> date | None:
    """--from / --to: a day, 2026-12-01 or 01-12-2026."""
    if value is None:
        return None
    matched = _DAY_FIRST.match(value.strip())
    try:
        if matched and matched.group(4) is None:
            return date(int(matched[3]), int(matched[2]), int(matched[1]))
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a day", hint="e.g. 2026-12-01") from None


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _future(moment: datetime, now: datetime, raw: str) -> datetime:
    if moment < now - PAST_GRACE:
        raise InvalidData(f"{raw} is in the past", hint="give a later time, or use `now`")
    return moment


# --- writing posts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """What the officer asks for, before it is checked."""

    text: str
    to: str | Sequence[str]
    at: str | None = None                       # as typed; None: no time (yet)
    media: Sequence[Path] = ()
    alts: Sequence[str] = ()
    lang: str | None = None
    reply_to: str | None = None                 # a link, an at:// URI or an inbox item id


@dataclass
class Checked:
    """A draft that passed the offline checks."""

    text: str
    accounts: list[EngageAccount]
    at: datetime | None
    media: list[MediaFile]
    lang: str
    reply_to: int | None
    reply_url: str | None
    warnings: list[str] = field(default_factory=list)


def check_draft(session: Session, workspace: Workspace, draft: Draft, *,
                now: datetime | None = None) -> Checked:
    """Every check that needs no server; an InvalidData naming the account when one fails."""
    now = now or utcnow()
    settings = workspace.settings
    accounts = resolve_accounts(settings, draft.to)
    text = draft.text.strip("\n")
    at = None
    if draft.at is not None and draft.at.strip():
        at = _future(parse_moment(draft.at, zone_of(workspace), now), now, draft.at)
    media = media_files(draft.media, draft.alts)
    reply_to, reply_url = _reply_target(session, draft.reply_to)
    if reply_url is not None:
        wanted = "bluesky" if _is_bluesky(reply_url) else "mastodon"
        wrong = [a.name for a in accounts if a.platform != wanted]
        if wrong:
            raise InvalidData(f"{', '.join(wrong)}: cannot answer a {wanted.title()} post",
                              hint=f"send the reply to {wanted} accounts only")
    warnings: list[str] = []
    for account in accounts:
        errors, notes = offline_problems(account.platform, text, tuple(media))
        if errors:
            raise InvalidData(f"{account.name}: {'; '.join(errors)}")
        warnings += [f"{account.name}: {n} (checked against the server when published)"
                     for n in notes]
    return Checked(text, accounts, at, media, post_language(settings, text, draft.lang),
                   reply_to, reply_url, warnings)


def media_files(paths: Sequence[Path], alts: Sequence[str],
                base: Path | None = None) -> list[MediaFile]:
    """--media and --alt in pairs, in the order given; paths made absolute, so a post
    scheduled from one folder is published from cron in another."""
    if len(paths) != len(alts):
        raise UsageError(f"{len(paths)} --media but {len(alts)} --alt",
                         hint="give one --alt (a description for people who cannot see the "
                              "image) after each --media")
    root = base or Path.cwd()
    return [MediaFile((root / p).expanduser().resolve(), alt.strip())
            for p, alt in zip(paths, alts, strict=True)]


def post_language(settings: Settings, text: str, lang: str | None) -> str:
    from smo_cli.nlp.language import detect_language, normalise_language

    if lang is not None:
        chosen = normalise_language(lang)
        if chosen is None:
            raise InvalidData(f"--lang {lang!r} is not a language code", hint="e.g. nl or en")
        return chosen
    return detect_language(text) or settings.language


def _reply_target(session: Session, value: str | None) -> tuple[int | None, str | None]:
    if value is None or not value.strip():
        return None, None
    value = value.strip()
    if value.isdigit():
        item = session.get(Assignment, int(value))
        mention = session.get(Mention, item.mention_id) if item else None
        if item is None or mention is None:
            raise NotFound(f"no inbox item {value}", hint="see `smo inbox list`")
        target = next((v for v in (mention.external_id, mention.url)
                       if v and (v.startswith(("at://", "https://", "http://")))), None)
        if target is None:
            raise InvalidData(f"inbox item {value} has no link to answer")
        return item.id, target
    if not (value.startswith("at://") or urlsplit(value).scheme in ("http", "https")):
        raise InvalidData(f"--reply-to {value!r} is not a link, an at:// URI or an inbox item")
    return None, value


def _is_bluesky(target: str) -> bool:
    return target.startswith("at://") or (urlsplit(target).hostname or "") == "bsky.app"


def create_post(session: Session, checked: Checked, *, state: str) -> Post:
    if state == "scheduled" and checked.at is None:
        raise UsageError("a scheduled post needs a time", hint="add --at")
    now = utcnow()
    post = Post(text=checked.text, accounts=[a.name for a in checked.accounts],
                media=[{"path": str(m.path), "alt": m.alt} for m in checked.media],
                state=state, scheduled_at=checked.at, reply_to=checked.reply_to,
                reply_url=checked.reply_url, lang=checked.lang, created_at=now, updated_at=now)
    session.add(post)
    session.flush()
    return post


# --- changing posts -------------------------------------------------------------------------------

def get_post(session: Session, post_id: int, *, for_update: bool = False) -> Post:
    # FOR UPDATE: on PostgreSQL a concurrent publish-due waits for this change (or we for its
    # claim); SQLite's BEGIN IMMEDIATE already serialises writers.
    statement = select(Post).where(col(Post.id) == post_id)
    post = session.exec(statement.with_for_update() if for_update else statement).first()
    if post is None:
        raise NotFound(f"no post {post_id}", hint="see `smo engage list`")
    return post


def edit_post(session: Session, workspace: Workspace, post_id: int, *, text: str | None = None,
              at: str | None = None, to: str | None = None,
              now: datetime | None = None) -> tuple[Post, list[str]]:
    """Change the text, time or accounts of a draft or scheduled post (checked again)."""
    now = now or utcnow()
    post = get_post(session, post_id, for_update=True)
    if post.state not in EDITABLE:
        raise Conflict(f"post {post_id} is {post.state}; only drafts and scheduled posts change")
    published = _published_on(session, post_id)
    if published and (text is not None or (to is not None)):
        raise Conflict(f"post {post_id} is already on {', '.join(published)}",
                       hint="write a new post; the copies would differ")
    media = [MediaFile(Path(m["path"]), str(m["alt"])) for m in post.media]
    checked = check_draft(session, workspace, Draft(
        text=post.text if text is None else text, to=post.accounts if to is None else to,
        at=at, media=[m.path for m in media], alts=[m.alt for m in media],
        lang=post.lang, reply_to=post.reply_url), now=now)
    post.text = checked.text
    post.accounts = [a.name for a in checked.accounts]
    if checked.at is not None:
        post.scheduled_at = checked.at
    post.retry_at = None
    post.updated_at = now
    for delivery in session.exec(select(PostDelivery).where(
            col(PostDelivery.post_id) == post_id)):
        if delivery.account not in post.accounts and delivery.state != "published":
            session.delete(delivery)
    session.flush()
    return post, checked.warnings


def schedule_post(session: Session, workspace: Workspace, post_id: int, at: str | None, *,
                  now: datetime | None = None, stuck_after: timedelta) -> tuple[Post, list[str]]:
    """Put a post on the calendar: a draft (at its planned time, or --at), a scheduled one at
    another time, a failed one again (only its unpublished accounts are tried), or one stuck
    in publishing (an explicit decision of the officer, never automatic)."""
    now = now or utcnow()
    post = get_post(session, post_id, for_update=True)
    notes: list[str] = []
    if post.state in ("published", "cancelled"):
        raise Conflict(f"post {post_id} is {post.state}")
    if post.state == "publishing":
        if post.claimed_at is None or post.claimed_at > now - stuck_after:
            raise Conflict(f"post {post_id} is being published right now")
        notes.append(_stuck_note(session, post_id, now))
    moment = post.scheduled_at if at is None else parse_moment(at, zone_of(workspace), now)
    if moment is None:
        raise UsageError(f"post {post_id} has no time yet", hint="add --at")
    if at is not None or post.state == "draft":
        moment = _future(moment, now, at or local_text(moment, zone_of(workspace)))
    post.state, post.scheduled_at, post.retry_at = "scheduled", max(moment, now), None
    post.claimed_at, post.updated_at = None, now
    # A new go for the accounts that failed: their attempts count afresh. A delivery cut off
    # while sending keeps its state and first-attempt time, so the retry looks for it first.
    for delivery in session.exec(select(PostDelivery).where(
            col(PostDelivery.post_id) == post_id,
            col(PostDelivery.state).in_(("failed", "retry")))):
        delivery.state, delivery.attempts = "pending", 0
    session.flush()
    return post, [n for n in notes if n]


def _stuck_note(session: Session, post_id: int, now: datetime) -> str:
    old = [d.account for d in session.exec(select(PostDelivery).where(
        col(PostDelivery.post_id) == post_id, col(PostDelivery.state) == "sending",
        col(PostDelivery.platform) == "mastodon"))
        if d.started_at is not None and d.started_at < now - timedelta(hours=1)]
    if not old:
        return ""
    return (f"{', '.join(old)}: Mastodon forgets an Idempotency-Key after about an hour; "
            "look at the account first and cancel this post if it is there already")


def cancel_post(session: Session, post_id: int) -> Post:
    post = get_post(session, post_id, for_update=True)
    if post.state not in (*EDITABLE, "failed"):
        raise Conflict(f"post {post_id} is {post.state}; it cannot be cancelled")
    post.state, post.retry_at, post.updated_at = "cancelled", None, utcnow()
    session.flush()
    return post


def _published_on(session: Session, post_id: int) -> list[str]:
    return [d.account for d in session.exec(select(PostDelivery).where(
        col(PostDelivery.post_id) == post_id, col(PostDelivery.state) == "published"))]


# --- reading posts --------------------------------------------------------------------------------

def list_posts(session: Session, workspace: Workspace, *, state: str | None = None,
               start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """Posts by time (published ones at their publication), then the undated drafts."""
    if state is not None and state not in STATES:
        raise UsageError(f"unknown state {state!r}", hint=f"states: {', '.join(STATES)}")
    zone = zone_of(workspace)
    statement = select(Post).order_by(col(Post.id))
    if state is not None:
        statement = statement.where(col(Post.state) == state)
    posts = [p for p in session.exec(statement) if in_range(moment_of(p), zone, start, end)]
    posts.sort(key=lambda p: (moment_of(p) is None, moment_of(p) or utcnow(), p.id or 0))
    deliveries = urls_by_post(session, [p.id or 0 for p in posts])
    return [post_row(p, zone, deliveries.get(p.id or 0, [])) for p in posts]


def moment_of(post: Post) -> datetime | None:
    return post.published_at or post.scheduled_at


def in_range(moment: datetime | None, zone: ZoneInfo, start: date | None,
             end: date | None) -> bool:
    if start is None and end is None:
        return True
    if moment is None:
        return False
    day = moment.astimezone(zone).date()
    return (start is None or day >= start) and (end is None or day <= end)


def urls_by_post(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for delivery in session.exec(select(PostDelivery).where(
            col(PostDelivery.post_id).in_(ids), col(PostDelivery.state) == "published")
            .order_by(col(PostDelivery.id))):
        found.setdefault(delivery.post_id, []).append(delivery.url or delivery.remote_uri or "")
    return found


def post_row(post: Post, zone: ZoneInfo, urls: Sequence[str] = ()) -> dict[str, Any]:
    return {"id": post.id, "state": post.state, "at": local_text(moment_of(post), zone),
            "to": list(post.accounts), "text": post.text, "media": len(post.media),
            "lang": post.lang, "reply_to": post.reply_url, "urls": list(urls),
            "last_error": post.last_error}
