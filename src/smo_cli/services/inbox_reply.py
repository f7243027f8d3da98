"""Answering an inbox item (`smo inbox reply`, issue 7), and recording published replies as the
response of the item they answer.

A mention from a Mastodon or Bluesky source is answered with a real reply from a posting account
of smo.yaml (engage.accounts), published at once through `engage_remote.post`: the Mastodon
client first resolves the status on the account's own instance, the Bluesky client sends the
root and parent references (uri and cid). Publishing records the response on the item in the
same transaction as the delivery (`record_reply`, called by engage_publish), so
`engage post --reply-to ITEM` counts as a response too.

Other sources (RSS, Hacker News, Reddit, imported mentions) have no API we post to: the officer
gets the link and the text to paste, and a manual response is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from smo_cli.config import EngageAccount, Settings, Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import Assignment, Mention, Post, Source
from smo_cli.db.types import utcnow
from smo_cli.errors import Conflict, InvalidData, UsageError
from smo_cli.services import inbox
from smo_cli.services.engage import Draft, resolve_accounts
from smo_cli.sources.http import Resolver, system_resolve

API_PLATFORMS = ("mastodon", "bluesky")

# --- recording a published reply ----------------------------------------------------------------

# Who answers, when the command says so (`inbox reply --by`). A context variable rather than a
# parameter, because `engage_remote.post`, which `inbox reply` publishes through, takes none; the
# value reaches the publishing task because asyncio.run copies the context it is started from.
_RESPONDER: ContextVar[str | None] = ContextVar("smo_responder", default=None)


@contextmanager
def answering_as(person: str | None) -> Iterator[None]:
    """Replies published inside the block are recorded as answered by `person` (an e-mail);
    None keeps the default (see `responder`)."""
    token = _RESPONDER.set(person)
    try:
        yield
    finally:
        _RESPONDER.reset(token)


def responder(settings: Settings) -> str:
    """Who a response is recorded for: `answering_as`'s person, else the officer of smo.yaml."""
    return _RESPONDER.get() or settings.officer.email or "officer"


def record_reply(session: Session, post_id: int, account: str, link: str, by: str,
                 now: datetime) -> str:
    """Record a published reply on the inbox item its post answers, if any. Returns a note for
    the publishing outcome ('' when there is nothing to say).

    Every published delivery adds an event with its link, but only the first sets the first
    response time (`inbox.respond` keeps it). A closed item stays closed: the reply goes into
    its history as a note, because reopening it is the officer's decision, not a side effect."""
    post = session.get(Post, post_id)
    item = session.get(Assignment, post.reply_to) if post and post.reply_to else None
    if item is None or item.id is None:
        return ""
    how = f"replied on {account}: {link}"
    if item.state == "closed":
        inbox.note(session, item.id, f"{how} (the item is closed and stays closed)", actor=by,
                   now=now)
        return f"inbox item {item.id} is closed: the reply is noted in its history"
    inbox.respond(session, item.id, by=by, how=how, now=now)
    return ""


# --- answering an item --------------------------------------------------------------------------

@dataclass
class ReplyResult:
    """What `inbox reply` did: posted through an account (`via` api) or left to the officer to
    paste (`via` manual)."""

    item: int
    via: str                            # api | manual
    text: str
    mention_url: str | None             # the post answered
    account: str | None = None          # api: the posting account
    post_id: int | None = None          # api: the post on the calendar (engage list)
    result: str | None = None           # api: published | retry | failed; None in a dry run
    url: str | None = None              # api: the reply's link, once published
    detail: str = ""                    # why it was not published, or a note
    recorded: bool = False              # the response is on the inbox item
    dry_run: bool = False
    previews: list[dict[str, Any]] = field(default_factory=list)   # api dry run: the requests
    warnings: list[str] = field(default_factory=list)


def reply(engine: Engine, workspace: Workspace, env: Mapping[str, str], item_id: int,
          text: str, *, to: str | None = None, by: str | None = None, dry_run: bool = False,
          now: datetime | None = None, transport: httpx.AsyncBaseTransport | None = None,
          resolve: Resolver = system_resolve) -> ReplyResult:
    """Answer inbox item `item_id` with `text`: a real reply on the mention's platform, or a
    manual response for sources without a posting API. A dry run stores and sends nothing."""
    now = now or utcnow()
    if not text.strip():
        raise UsageError("the reply has no text")
    with reading(engine) as session:
        item = inbox.get_item(session, item_id)
        if item.state == "closed":
            # Answering a closed item is most likely a mistake (wrong id, closed as spam);
            # `respond` refuses it too.
            raise Conflict(f"inbox item {item_id} is closed",
                           hint=f"reopen it first: smo inbox reopen {item_id}")
        mention = session.get(Mention, item.mention_id)
        assert mention is not None                  # the foreign key cascades
        platform = mention_platform(session, mention)
        mention_url, source_name = mention.url, mention.source_name
    if platform is None:
        if to is not None:
            raise UsageError(f"inbox item {item_id} is from {source_name}, which smo "
                             "cannot post to", hint="leave out --to and answer it by hand")
        return _manual(engine, item_id, text, mention_url,
                       by=by or responder(workspace.settings), dry_run=dry_run, now=now)
    account = choose_account(workspace.settings, platform, to)
    return _post(engine, workspace, env, item_id, text, account, mention_url, by=by,
                 dry_run=dry_run, now=now, transport=transport, resolve=resolve)


def mention_platform(session: Session, mention: Mention) -> str | None:
    """`mastodon` or `bluesky` when the mention came from such a source, else None."""
    source = session.get(Source, mention.source_id) if mention.source_id is not None else None
    # A deleted source leaves its mentions without one; their key still starts with the kind
    # for platform sources (mentions.dedup_key), while imports and feeds use url: or guid:.
    kind = source.kind if source is not None else mention.dedup_key.partition(":")[0]
    return kind if kind in API_PLATFORMS else None


def choose_account(settings: Settings, platform: str, to: str | None) -> EngageAccount:
    """The posting account on `platform` to reply from: the one configured, or --to's."""
    on_platform = [a for a in settings.engage.accounts if a.platform == platform]
    if not on_platform:
        raise InvalidData(f"no {platform.title()} account to reply from",
                          hint="add one under engage.accounts in smo.yaml (see the README)")
    if to is None:
        if len(on_platform) > 1:
            raise UsageError(f"several {platform.title()} accounts: "
                             f"{', '.join(a.name for a in on_platform)}",
                             hint="pick one with --to")
        return on_platform[0]
    chosen = resolve_accounts(settings, to)
    if len(chosen) != 1 or chosen[0].platform != platform:
        raise UsageError(f"--to {to}: the reply goes to one {platform.title()} account",
                         hint=f"one of {', '.join(a.name for a in on_platform)}")
    return chosen[0]


def _manual(engine: Engine, item_id: int, text: str, mention_url: str | None, *, by: str,
            dry_run: bool, now: datetime) -> ReplyResult:
    result = ReplyResult(item_id, "manual", text, mention_url, dry_run=dry_run)
    if not dry_run:
        with transaction(engine) as session:
            inbox.respond(session, item_id, by=by, how=f"manual reply: {text}", now=now)
        result.recorded = True
    return result


def _post(engine: Engine, workspace: Workspace, env: Mapping[str, str], item_id: int,
          text: str, account: EngageAccount, mention_url: str | None, *, by: str | None,
          dry_run: bool, now: datetime, transport: httpx.AsyncBaseTransport | None,
          resolve: Resolver) -> ReplyResult:
    # Imported here: engage_remote imports engage_publish, which imports this module for
    # record_reply, so a module-level import would be circular.
    from smo_cli.services.engage_remote import post

    draft = Draft(text=text, to=account.name, reply_to=str(item_id))
    with answering_as(by):
        posted = post(engine, workspace, env, draft, dry_run=dry_run, now=now,
                      transport=transport, resolve=resolve)
    result = ReplyResult(item_id, "api", text, mention_url, account=account.name,
                         post_id=posted.post_id, dry_run=dry_run, previews=posted.previews,
                         warnings=posted.warnings)
    outcome = next((o for o in posted.report.outcomes if o.post == posted.post_id), None) \
        if posted.report is not None else None
    if outcome is not None:
        result.result, result.detail = outcome.result, outcome.detail
        if outcome.result == "published":
            result.url = outcome.url
            result.recorded = not outcome.detail        # a detail: the item was closed meanwhile
    elif not dry_run:
        # Another publish-due run took the post first; it publishes and records it.
        result.detail = "another publish run is publishing it"
    return result
