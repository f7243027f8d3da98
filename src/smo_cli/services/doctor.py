"""`smo doctor`: is this workspace healthy enough to run unattended?

Each check is ok, warning or critical, with one line of advice. The checks read; they never
migrate, send or fetch (except the `--network` ones, which only connect). Secrets are looked up
the way their users read them (sources, SMTP and webhooks: the variable itself; engage accounts
and the database URL: the variable or NAME_FILE) and only their names are ever shown.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smo_cli.config import Workspace, load_workspace, secret
from smo_cli.db.engine import make_engine, reading
from smo_cli.db.migrate import current_revision, known_revisions, status
from smo_cli.db.models import (
    Account,
    AccountSnapshot,
    ListenRun,
    Mention,
    OutboxMessage,
    Post,
    PostDelivery,
    Source,
)
from smo_cli.db.types import utcnow
from smo_cli.delivery.smtp import PASSWORD_ENV, USER_ENV
from smo_cli.errors import SmoError

OK, WARNING, CRITICAL = "ok", "warning", "critical"
STALE_DAYS = 14                         # a source with no new item for this long is stale
LISTEN_LATE = timedelta(hours=2)        # listen runs every 15 minutes from the schedule
LISTEN_DEAD = timedelta(hours=24)
INVENTORY_LATE = timedelta(days=8)      # checked weekly
OUTBOX_LATE = timedelta(hours=1)
POST_LATE = timedelta(minutes=15)       # publish-due runs every 5 minutes
RECENT = timedelta(days=7)              # older failures are a warning, not an alarm
STUCK_ATTEMPTS = 3
WEBHOOK_KINDS = ("webhook", "slack", "teams", "mattermost")
# Sources that cannot work without a secret, by kind and parameter (see sources/*_listen.py).
SOURCE_SECRETS: dict[tuple[str, str], tuple[str, ...]] = {
    ("mastodon", "notifications"): ("SMO_MASTODON_TOKEN",),
    ("mastodon", "search"): ("SMO_MASTODON_TOKEN",),
    ("bluesky", "query"): ("SMO_BLUESKY_HANDLE", "SMO_BLUESKY_APP_PASSWORD"),
}
# Optional pairs: without them the source falls back to a public feed; half a pair is a mistake.
SOURCE_PAIRS = {"reddit": ("SMO_REDDIT_CLIENT_ID", "SMO_REDDIT_CLIENT_SECRET")}


@dataclass(frozen=True)
class Check:
    check: str
    status: str                 # ok | warning | critical
    detail: str
    advice: str = ""


def critical(checks: Iterable[Check]) -> bool:
    return any(c.status == CRITICAL for c in checks)


def diagnose(root: Path, env: Mapping[str, str], *, now: datetime | None = None,
             stale_days: int = STALE_DAYS) -> list[Check]:
    """Every check that needs no network, in the order a person would fix them."""
    now = now or utcnow()
    try:
        workspace = load_workspace(root, env)
    except SmoError as exc:
        return [Check("config", CRITICAL, exc.message, exc.hint or "fix smo.yaml")]
    checks = [Check("config", OK, f"{workspace.config_path} is valid")]
    secrets = _channel_secrets(workspace, env) + _engage_secrets(workspace, env)
    try:
        engine = make_engine(workspace.database_url)
    except SmoError as exc:
        return [*checks, Check("database", CRITICAL, exc.message, exc.hint or ""), *secrets]
    try:
        database = _database(engine)
        checks += [database, *secrets]
        if database.status == OK:
            with reading(engine) as session:
                checks += _source_secrets(session, env)
                checks += _jobs(session, workspace, now)
                checks += _sources(session, now, stale_days)
                checks += _outbox(session, now)
                checks += _posts(session, now)
    finally:
        engine.dispose()
    return checks


# --- configuration, database and secrets --------------------------------------------------------


def _database(engine: Engine) -> Check:
    where = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        if not path.is_file():      # connecting would create an empty file: say so instead
            return Check("database", WARNING, f"{path} does not exist yet",
                         "any smo command creates it; `smo db upgrade` does only that")
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            return Check("database", CRITICAL, f"{path} (or its folder) is read-only for "
                         "this user", "give the user that runs cron write access")
    try:
        current = status(engine) if _known(engine) else None
    except SmoError as exc:
        return Check("database", CRITICAL, exc.message, exc.hint or "")
    if current is None:
        return Check("database", CRITICAL, f"{where} has a schema newer than this smo",
                     "upgrade smo")
    if not current.up_to_date:
        return Check("database", WARNING, f"{where}: {len(current.pending)} migrations pending",
                     "run `smo db upgrade` (any smo command also applies them)")
    return Check("database", OK, f"{where} at schema {current.current}")


def _known(engine: Engine) -> bool:
    revision = current_revision(engine)
    return revision is None or revision in known_revisions()


def _missing(env: Mapping[str, str], names: Sequence[str], *, files: bool = False) -> list[str]:
    """The names not set; with `files`, NAME_FILE counts too (as config.secret reads it)."""
    if files:
        return [n for n in names if not secret(env, n)]
    return [n for n in names if not env.get(n)]


def _secret_check(what: str, names: Sequence[str], missing: Sequence[str],
                  env: Mapping[str, str], *, files: bool = False) -> Check:
    if not missing:
        return Check(f"secret: {what}", OK, f"{', '.join(names)} set")
    advice = f"export {missing[0]}=... where the jobs run"
    if not files and env.get(f"{missing[0]}_FILE"):
        advice = f"{missing[0]}_FILE is set, but this one is read from {missing[0]} only"
    elif files:
        advice += f" (or {missing[0]}_FILE=/path/to/file)"
    return Check(f"secret: {what}", CRITICAL, f"{', '.join(missing)} not set", advice)


def _channel_secrets(workspace: Workspace, env: Mapping[str, str]) -> list[Check]:
    checks = []
    for channel in workspace.settings.channels:
        extra: dict[str, Any] = channel.model_extra or {}
        what = f"channel {channel.name}"
        if channel.kind == "smtp" and env.get(USER_ENV):
            names = [USER_ENV, PASSWORD_ENV]
            checks.append(_secret_check(what, names, _missing(env, names), env))
        elif channel.kind == "smtp":
            checks.append(Check(f"secret: {what}", OK, f"no login ({USER_ENV} not set)"))
        elif channel.kind in WEBHOOK_KINDS:
            names = [str(extra[k]) for k in ("url_env", "secret_env") if extra.get(k)]
            if not names:
                checks.append(Check(f"secret: {what}", CRITICAL, "no url_env in smo.yaml",
                                    "name the variable holding the webhook URL in url_env"))
            else:
                checks.append(_secret_check(what, names, _missing(env, names), env))
    return checks


def _engage_secrets(workspace: Workspace, env: Mapping[str, str]) -> list[Check]:
    checks = []
    for account in workspace.settings.engage.accounts:
        names = [account.secret_name]
        try:
            missing = _missing(env, names, files=True)
        except SmoError as exc:     # NAME_FILE names a file that cannot be read
            checks.append(Check(f"secret: account {account.name}", CRITICAL, exc.message))
            continue
        checks.append(_secret_check(f"account {account.name}", names, missing, env,
                                    files=True))
    return checks


def _source_secrets(session: Session, env: Mapping[str, str]) -> list[Check]:
    checks = []
    for source in session.exec(select(Source).where(col(Source.enabled))
                               .order_by(col(Source.name))):
        needed: list[str] = []
        for param, value in source.params.items():
            if value not in (None, False, ""):
                needed += SOURCE_SECRETS.get((source.kind, param), ())
        what = f"source {source.name}"
        if needed:
            checks.append(_secret_check(what, needed, _missing(env, needed), env))
        elif source.kind in SOURCE_PAIRS:
            pair = SOURCE_PAIRS[source.kind]
            if len(_missing(env, pair)) == 1:
                checks.append(Check(f"secret: {what}", WARNING,
                                    f"{_missing(env, pair)[0]} not set, the other one is",
                                    f"set both {' and '.join(pair)}, or neither"))
    return checks


# --- jobs, sources, outbox, posts ---------------------------------------------------------------


def age(delta: timedelta) -> str:
    """`5 min`, `3 h`, `2 days`: how long ago, roughly."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{max(minutes, 0)} min"
    return f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} days"


def _latest(session: Session, column: Any, *where: Any) -> datetime | None:
    value: datetime | None = session.exec(select(func.max(column)).where(*where)).one()
    return value


def _jobs(session: Session, workspace: Workspace, now: datetime) -> list[Check]:
    checks = []
    sources = session.exec(select(func.count()).select_from(Source)
                           .where(col(Source.enabled))).one()
    last = _latest(session, ListenRun.finished_at, col(ListenRun.status).in_(("ok", "partial")))
    if not sources:
        checks.append(Check("job: listen", OK, "no sources to listen to"))
    elif last is None:
        checks.append(Check("job: listen", WARNING, "no listen run has completed",
                            "run `smo listen run`, then `smo schedule install`"))
    else:
        late = now - last
        level = CRITICAL if late > LISTEN_DEAD else WARNING if late > LISTEN_LATE else OK
        checks.append(Check("job: listen", level, f"last completed {age(late)} ago",
                            "" if level == OK else "is `smo schedule install` done? see "
                            "logs/listen.log"))
    sent = _latest(session, OutboxMessage.sent_at, col(OutboxMessage.state) == "sent")
    checks.append(Check("job: outbox", OK, f"last message sent {age(now - sent)} ago"
                        if sent else "nothing sent yet"))
    if workspace.settings.engage.accounts:
        published = _latest(session, PostDelivery.published_at)
        checks.append(Check("job: publish-due", OK, f"last post published {age(now - published)}"
                            " ago" if published else "nothing published yet"))
    if session.exec(select(func.count()).select_from(Account)).one():
        checked = _latest(session, AccountSnapshot.checked_at)
        if checked is None or now - checked > INVENTORY_LATE:
            checks.append(Check("job: inventory-check", WARNING,
                                f"last check {age(now - checked)} ago" if checked
                                else "the accounts were never checked",
                                "run `smo inventory check` (weekly from the schedule)"))
        else:
            checks.append(Check("job: inventory-check", OK,
                                f"last check {age(now - checked)} ago"))
    return checks


def _sources(session: Session, now: datetime, stale_days: int) -> list[Check]:
    enabled = list(session.exec(select(Source).where(col(Source.enabled))
                                .order_by(col(Source.name))))
    newest = dict(session.exec(select(Mention.source_id, func.max(Mention.first_seen_at))
                               .group_by(col(Mention.source_id))).all())
    checks = []
    suspended = [s for s in enabled if s.suspended]
    for source in suspended:
        level = CRITICAL if len(suspended) == len(enabled) else WARNING
        checks.append(Check(f"source {source.name}", level,
                            f"suspended after {source.failures} failures: "
                            f"{source.last_error or 'no detail'}"[:300],
                            f"fix the cause, then `smo sources enable {source.name}`"))
    quiet_since = now - timedelta(days=stale_days)
    for source in enabled:
        last = newest.get(source.id)
        if source.suspended or source.created_at > quiet_since or (last and last > quiet_since):
            continue
        checks.append(Check(f"source {source.name}", WARNING,
                            f"no new items for {age(now - (last or source.created_at))}",
                            f"check the address with `smo sources test {source.name}`, or "
                            "disable it"))
    if enabled and not checks:
        checks.append(Check("sources", OK, f"{len(enabled)} enabled, all bringing items"))
    return checks


def _outbox(session: Session, now: datetime) -> list[Check]:
    rows = list(session.exec(select(OutboxMessage).where(
        col(OutboxMessage.state).in_(("failed", "pending")))))
    failed = [r for r in rows if r.state == "failed"]
    stuck = [r for r in rows if r.state == "pending" and r.attempts >= STUCK_ATTEMPTS]
    waiting = [r for r in rows if r.state == "pending" and r.attempts < STUCK_ATTEMPTS
               and r.next_attempt_at is not None and r.delivery != "digest"
               and r.next_attempt_at < now - OUTBOX_LATE]
    checks = []
    if failed:
        level = CRITICAL if any(r.created_at > now - RECENT for r in failed) else WARNING
        checks.append(Check("outbox: failed", level, f"{len(failed)} messages failed: "
                            f"{_last_error(failed)}", "fix the channel, then `smo outbox "
                            "retry ID` (see `smo outbox list --state failed`)"))
    if stuck:
        checks.append(Check("outbox: retrying", CRITICAL, f"{len(stuck)} messages failed "
                            f"{STUCK_ATTEMPTS}+ times: {_last_error(stuck)}",
                            "check the channel's server and secrets (`smo doctor --network`)"))
    if waiting:
        checks.append(Check("outbox: waiting", CRITICAL, f"{len(waiting)} messages due more "
                            f"than {age(OUTBOX_LATE)} ago", "is `smo outbox send` scheduled? "
                            "(`smo schedule install`)"))
    return checks or [Check("outbox", OK, "nothing failed or waiting")]


def _last_error(rows: Sequence[OutboxMessage]) -> str:
    newest = max(rows, key=lambda r: r.created_at)
    return (newest.last_error or "no detail")[:200]


def _posts(session: Session, now: datetime) -> list[Check]:
    late = now - POST_LATE
    posts = list(session.exec(select(Post).where(
        col(Post.state).in_(("failed", "scheduled", "publishing")))))
    failed = [p for p in posts if p.state == "failed"]
    overdue = [p for p in posts if p.state == "scheduled" and p.scheduled_at is not None
               and p.scheduled_at < late and (p.retry_at is None or p.retry_at < late)]
    stuck = [p for p in posts if p.state == "publishing" and (p.claimed_at or p.updated_at) < late]
    checks = []
    if failed:
        level = CRITICAL if any(p.updated_at > now - RECENT for p in failed) else WARNING
        checks.append(Check("posts: failed", level, f"{len(failed)} posts failed (post "
                            f"{', '.join(str(p.id) for p in failed[:5])})",
                            "see `smo engage list --state failed`; fix, then schedule again"))
    if overdue:
        checks.append(Check("posts: overdue", CRITICAL, f"{len(overdue)} scheduled posts are "
                            f"more than {age(POST_LATE)} late", "is `smo engage publish-due` "
                            "scheduled? (`smo schedule install`)"))
    if stuck:
        checks.append(Check("posts: stuck", CRITICAL, f"{len(stuck)} posts publishing for more "
                            f"than {age(POST_LATE)}", "check the accounts, then `smo engage "
                            "schedule ID --at now` or `cancel`"))
    if not checks and (posts or session.exec(select(func.count()).select_from(Post)).one()):
        checks.append(Check("posts", OK, f"{len(posts)} scheduled, none late or failed"))
    return checks


# --- network ------------------------------------------------------------------------------------


SmtpProbe = Callable[[str, int, str, float], str]


def ehlo(host: str, port: int, security: str, timeout: float) -> str:
    """Connect and say EHLO, nothing more (no login, no mail); returns the server's answer."""
    if security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        code, _ = client.ehlo()
        if security == "starttls" and not client.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
    return f"EHLO answered {code}"


def network(workspace: Workspace, env: Mapping[str, str], client: httpx.Client, *,
            probe: SmtpProbe = ehlo, timeout: float = 5.0) -> list[Check]:
    """Can the SMTP servers and webhooks be reached? URLs are secrets: only hosts are shown."""
    checks = []
    for channel in workspace.settings.channels:
        extra: dict[str, Any] = channel.model_extra or {}
        what = f"network: {channel.name}"
        if channel.kind == "smtp":
            host, security = str(extra.get("host")), str(extra.get("security", "starttls"))
            port = int(extra.get("port") or {"tls": 465, "none": 25}.get(security, 587))
            try:
                answer = probe(host, port, security, timeout)
                checks.append(Check(what, OK, f"{host}:{port} {answer}"))
            except (OSError, smtplib.SMTPException) as exc:
                checks.append(Check(what, CRITICAL, f"{host}:{port}: {type(exc).__name__}: "
                                    f"{exc}"[:300], "check host, port and security in smo.yaml "
                                    "and the firewall"))
        elif channel.kind in WEBHOOK_KINDS and env.get(str(extra.get("url_env"))):
            checks.append(_webhook(what, env[str(extra["url_env"])], client, timeout))
    return checks


def _webhook(what: str, url: str, client: httpx.Client, timeout: float) -> Check:
    host = urlsplit(url).hostname or "?"
    try:
        response = client.head(url, timeout=timeout)
        if response.status_code in (405, 501):      # many hooks answer only POST (and GET)
            response = client.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return Check(what, CRITICAL, f"{host}: {type(exc).__name__}",
                     "check the URL's variable, DNS and the firewall")
    level = WARNING if response.status_code >= 500 else OK
    return Check(what, level, f"{host} answered HTTP {response.status_code}",
                 "the server has trouble; try again later" if level == WARNING else "")
