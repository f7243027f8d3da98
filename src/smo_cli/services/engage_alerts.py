"""Telling the officer when publishing fails: one message per failed post and per post stuck
while publishing, through the outbox and the delivery channel (like `policy remind`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import OutboxMessage, Post

if TYPE_CHECKING:   # engage_publish imports this module
    from smo_cli.services.engage_publish import PublishReport, Stuck


def tell_officer(engine: Engine, workspace: Workspace, env: Mapping[str, str],
                 report: PublishReport, now: datetime) -> None:
    """A message to the officer for every failed post and every post stuck while publishing,
    once each (keyed per post and moment), through the outbox."""
    from smo_cli.services.outbox import deliver

    if report.ok:
        return
    settings = workspace.settings
    channel, officer = settings.delivery.channel, settings.officer.email
    if channel is None or settings.channel(channel) is None or officer is None:
        report.unmessaged = ("set officer.email and delivery.channel in smo.yaml to be told "
                             "by message")
        return
    lang = settings.delivery.language or settings.language
    rows: list[OutboxMessage] = []
    with reading(engine) as session:
        for post_id in report.failed_posts:
            post = session.get(Post, post_id)
            if post is not None:
                rows.append(_message(f"smo-engage-{post_id}-failed-{now:%Y%m%d%H%M%S}", channel,
                                     officer, *_failure_text(lang, post), now))
        for stuck in report.stuck:
            post = session.get(Post, stuck.post)
            if post is not None:
                rows.append(_message(
                    f"smo-engage-{stuck.post}-stuck-{stuck.claimed_at:%Y%m%d%H%M%S}", channel,
                    officer, *_stuck_text(lang, post, stuck), now))
        known = set(session.exec(select(OutboxMessage.key).where(
            col(OutboxMessage.key).in_([r.key for r in rows])))) if rows else set()
    fresh = [r for r in rows if r.key not in known]
    if not fresh:
        return
    with transaction(engine) as session:
        session.add_all(fresh)
        session.flush()
        ids = [r.id or 0 for r in fresh]
    deliver(engine, workspace, env, digests=False, only=ids, now=now)
    report.messages = len(fresh)


def _message(key: str, channel: str, officer: str, subject: str, text: str,
             now: datetime) -> OutboxMessage:
    return OutboxMessage(key=key[:100], channel=channel, delivery="immediate",
                         recipients=[officer], state="pending", next_attempt_at=now,
                         created_at=now, payload={"subject": subject, "text": text,
                                                  "kind": "engage-failure"})


def _failure_text(lang: str, post: Post) -> tuple[str, str]:
    excerpt = " ".join(post.text.split())[:120]
    reason = post.last_error or ""
    if lang == "nl":
        return (f"smo: bericht {post.id} is niet gepubliceerd",
                f"Bericht {post.id} ({excerpt}) kon niet worden gepubliceerd.\n\n"
                f"Reden: {reason}\n\nLos het op en plan het opnieuw met "
                f"`smo engage schedule {post.id} --at now`; accounts waar het al staat, "
                "worden overgeslagen.\n")
    return (f"smo: post {post.id} was not published",
            f"Post {post.id} ({excerpt}) could not be published.\n\nReason: {reason}\n\n"
            f"Fix it and schedule it again with `smo engage schedule {post.id} --at now`; "
            "accounts that already have it are skipped.\n")


def _stuck_text(lang: str, post: Post, stuck: Stuck) -> tuple[str, str]:
    accounts = ", ".join(stuck.accounts) or "-"
    if lang == "nl":
        return (f"smo: bericht {post.id} hangt tijdens het publiceren",
                f"Bericht {post.id} wordt sinds {stuck.claimed_at:%Y-%m-%d %H:%M} UTC "
                f"gepubliceerd maar is niet afgerond (accounts: {accounts}). Kijk op die "
                "accounts of het er staat. Staat het er niet, plan het dan opnieuw met "
                f"`smo engage schedule {post.id} --at now`; staat het er wel, annuleer het "
                "niet maar laat het zo.\n")
    return (f"smo: post {post.id} is stuck while publishing",
            f"Post {post.id} has been publishing since {stuck.claimed_at:%Y-%m-%d %H:%M} UTC "
            f"without finishing (accounts: {accounts}). Look at those accounts. If it is not "
            f"there, schedule it again with `smo engage schedule {post.id} --at now`.\n")
