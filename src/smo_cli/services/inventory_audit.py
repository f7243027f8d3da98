"""The inventory audit: a document listing every account and every gap, in Dutch or English."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from smo_cli.config import Workspace
from smo_cli.db.models import Account, Person
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData
from smo_cli.render.documents import markdown_to_html, render
from smo_cli.services.inventory import latest_snapshots
from smo_cli.services.inventory_gap import Gap, find_gaps, list_targets

LANGUAGES = ("nl", "en")
FORMATS = ("md", "html")
TITLES = {"en": "Social media presence audit", "nl": "Audit socialemedia-aanwezigheid"}


def audit_context(session: Session, workspace: Workspace, *, lang: str,
                  now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    settings = workspace.settings
    gaps = find_gaps(session, settings, now=now)
    by_account: dict[int, list[Gap]] = defaultdict(list)
    for gap in gaps:
        if gap.account_id is not None:
            by_account[gap.account_id].append(gap)
    names = {p.email: p.name for p in session.scalars(select(Person)).all()}
    departments = {f"dept:{d.key}": d.name for d in settings.departments}
    answered = latest_snapshots(session, answered=True)
    checked = latest_snapshots(session)
    accounts = []
    for account in session.scalars(select(Account).order_by(
            col(Account.owner), col(Account.platform), col(Account.handle))).all():
        snapshot = answered.get(account.id or 0)
        newest = checked.get(account.id or 0)
        accounts.append({
            "id": account.id, "platform": account.platform, "handle": account.handle,
            "url": account.url, "kind": account.kind, "owner": account.owner,
            "owner_label": departments.get(account.owner) or names.get(account.owner)
            or account.owner or "—",
            "custodian": names.get(account.custodian or "") or account.custodian,
            "two_factor": account.two_factor,
            "last_post": snapshot.last_post_at if snapshot else None,
            "followers": snapshot.followers if snapshot else None,
            "checked_at": newest.checked_at if newest else None,
            "check_status": newest.status if newest else None,
            "findings": by_account.get(account.id or 0, []),
        })
    return {
        "lang": lang,
        "title": TITLES[lang],
        "organisation": settings.organisation,
        "officer": settings.officer,
        # The date the officer sees is the company's own date, not UTC's.
        "generated": now.astimezone(ZoneInfo(settings.business_hours.timezone)),
        "accounts": accounts,
        "gaps": gaps,
        "targets": list_targets(session),
        "departments": departments,
        "summary": {
            "accounts": len(accounts),
            "official": sum(1 for a in accounts if a["kind"] == "official"),
            "high": sum(1 for g in gaps if g.severity == "high"),
            "medium": sum(1 for g in gaps if g.severity == "medium"),
            "missing": sum(1 for g in gaps if g.finding == "missing"),
            "checked": sum(1 for a in accounts if a["checked_at"] is not None),
        },
    }


def build_audit(session: Session, workspace: Workspace, *, lang: str | None = None,
                fmt: str = "md", now: datetime | None = None) -> str:
    """The audit as Markdown or a standalone HTML page."""
    lang = (lang or workspace.settings.language).lower()
    if lang not in LANGUAGES:
        raise InvalidData(f"unknown language {lang!r}", hint="use nl or en")
    if fmt not in FORMATS:
        raise InvalidData(f"unknown format {fmt!r}", hint="use md or html")
    context = audit_context(session, workspace, lang=lang, now=now)
    markdown = render(f"{lang}/inventory_audit.md.j2", context,
                      workspace_templates=workspace.templates_dir)
    if fmt == "md":
        return markdown
    title = f"{context['title']} — {workspace.settings.organisation.name}"
    return markdown_to_html(markdown, title=title, lang=lang,
                            workspace_templates=workspace.templates_dir)
