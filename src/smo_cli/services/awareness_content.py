"""What an awareness campaign says (job 1), fixed when the campaign is made: the tip, the policy
in five lines and how to acknowledge it, the month's good news from listening.

The facts are stored with the campaign (`AwarenessCampaign.params`), so every colleague gets the
same message however late they are added, and `campaign show` previews what will be sent.
Mention text from the internet is copied as data only: templates insert it as a value (escaped
in HTML), never read it as a template.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, or_, select

from smo_cli.config import Workspace, describe_validation_error, read_yaml
from smo_cli.db.models import Account, Assignment, AwarenessCampaign, Mention, Person
from smo_cli.errors import Conflict, InvalidData, NotFound, UsageError
from smo_cli.render.documents import builtin_templates_dir

HIGHLIGHTS = 5                  # good-news items quoted in a newsletter; the counts cover all
QUOTE_CHARS = 280
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
PLATFORMS = {"linkedin": "LinkedIn", "youtube": "YouTube", "tiktok": "TikTok", "x": "X",
             "facebook": "Facebook", "instagram": "Instagram", "mastodon": "Mastodon",
             "bluesky": "Bluesky", "threads": "Threads", "website": "Web", "blog": "Blog"}
MONTH_NAMES = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


class Tip(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)


class TipsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tips: list[Tip] = Field(min_length=1)

    @field_validator("tips")
    @classmethod
    def _unique_numbers(cls, tips: list[Tip]) -> list[Tip]:
        seen: set[int] = set()
        for tip in tips:
            if tip.number in seen:
                raise ValueError(f"tip number {tip.number} is used twice")
            seen.add(tip.number)
        return sorted(tips, key=lambda t: t.number)


def tips_path(workspace: Workspace, lang: str) -> Path:
    """The workspace's own tips (templates/awareness/<lang>/tips.yaml) before the built-in ones."""
    relative = Path("awareness") / lang / "tips.yaml"
    own = workspace.templates_dir / relative
    return own if own.is_file() else builtin_templates_dir() / relative


def load_tips(workspace: Workspace, lang: str) -> list[Tip]:
    path = tips_path(workspace, lang)
    try:
        return TipsFile.model_validate(read_yaml(path) or {}).tips
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None


def tip_params(session: Session, workspace: Workspace, lang: str,
               number: int | None) -> dict[str, Any]:
    """The tip asked for, or the lowest-numbered one no tip campaign in `lang` has used yet."""
    tips = load_tips(workspace, lang)
    if number is None:
        used = {int((c.params.get("tip") or {}).get("number", 0)) for c in session.exec(
            select(AwarenessCampaign).where(col(AwarenessCampaign.kind) == "tip",
                                            col(AwarenessCampaign.lang) == lang))}
        fresh = [t for t in tips if t.number not in used]
        if not fresh:
            raise Conflict(f"all {len(tips)} tips in {lang!r} have been used",
                           hint="repeat one with --tip N, or add tips to "
                                f"templates/awareness/{lang}/tips.yaml in the workspace")
        chosen = fresh[0]
    else:
        found = next((t for t in tips if t.number == number), None)
        if found is None:
            raise NotFound(f"no tip {number} in {lang!r}",
                           hint=f"tips are numbered {tips[0].number} to {tips[-1].number}")
        chosen = found
    return {"tip": chosen.model_dump(), "tips_total": len(tips)}


def contact_params(session: Session, workspace: Workspace, lang: str) -> dict[str, Any]:
    """Who employees call, and the company's official accounts (worth following and sharing).
    The policy's contacts and crisis phone when policy.yaml exists; the officer in any case;
    whether a policy has been published yet."""
    from smo_cli.services.policy import load_policy, policy_path
    from smo_cli.services.policy_acks import current_version

    settings = workspace.settings
    names = {p.email: p.name for p in session.exec(select(Person))}
    contacts: list[dict[str, Any]] = []
    crisis_phone = None
    if policy_path(workspace).exists():
        policy = load_policy(workspace)
        crisis_phone = policy.crisis_phone
        contacts = [{"role": c.role, "name": names.get(c.person.lower(), c.person),
                     "email": c.person} for c in policy.contacts]
    try:
        policy_version: int | None = current_version(session, lang).number
    except NotFound:
        policy_version = None
    officer = (settings.officer.email or "").lower()
    accounts = session.exec(select(Account).where(col(Account.kind) == "official")
                            .order_by(col(Account.platform), col(Account.handle))).all()
    return {"contacts": [c for c in contacts if c["email"].lower() != officer],
            "crisis_phone": crisis_phone, "policy_version": policy_version,
            "accounts": [{"platform": PLATFORMS.get(a.platform, a.platform),
                          "handle": a.handle, "url": a.url}
                         for a in accounts if a.owner == "company" and (a.handle or a.url)]}


def policy_params(session: Session, workspace: Workspace, lang: str) -> dict[str, Any]:
    """The policy in five lines and how to acknowledge it: answers from policy.yaml, the
    version number from the latest published version (none yet: the message says so)."""
    from smo_cli.services.policy import load_policy
    from smo_cli.services.policy_acks import current_version

    settings = workspace.settings
    policy = load_policy(workspace)
    names = {p.email: p.name for p in session.exec(select(Person))}
    departments = {d.key: d.name for d in settings.departments}
    speakers = [names.get(t.lower(), t) for t in policy.may_speak_for_company
                if not t.startswith("dept:")]
    speaker_departments = [departments.get(t[5:], t[5:]) for t in policy.may_speak_for_company
                           if t.startswith("dept:")]
    version: int | None = None
    published: str | None = None
    try:
        current = current_version(session, lang)
    except NotFound:
        pass                    # not published yet: the announcement names no version
    else:
        zone = ZoneInfo(settings.business_hours.timezone)
        version = current.number
        published = current.published_at.astimezone(zone).date().isoformat()
    return {"version": version, "published": published, "how": policy.acknowledgement,
            "speakers": speakers, "speaker_departments": speaker_departments,
            "confidential": policy.confidential[:4],
            "crisis_phone": policy.crisis_phone,
            "review_date": policy.review_date.isoformat() if policy.review_date else None}


def policy_attachment(session: Session, workspace: Workspace, lang: str,
                      version: int) -> dict[str, str]:
    """The published version as a standalone HTML page, attached to the launch e-mail so
    everyone can read what they are asked to acknowledge."""
    from smo_cli.db.models import PolicyVersion
    from smo_cli.render.documents import markdown_to_html
    from smo_cli.services.policy import TITLES

    found = session.exec(select(PolicyVersion).where(
        col(PolicyVersion.lang) == lang, col(PolicyVersion.number) == version)).first()
    if found is None:
        raise NotFound(f"policy version {version} in {lang!r} is no longer on record")
    title = f"{TITLES[lang]} — {workspace.settings.organisation.name}"
    page = markdown_to_html(found.content, title=title, lang=lang,
                            workspace_templates=workspace.templates_dir)
    name = {"nl": "socialemediabeleid", "en": "social-media-policy"}[lang]
    return {"filename": f"{name}-v{version}.html", "content_type": "text/html; charset=utf-8",
            "text": page}


def long_date(value: str | date | None, lang: str) -> str:
    """27 november 2026 / 27 November 2026, as people write it in a letter."""
    if value is None:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTH_NAMES[lang][day.month - 1]} {day.year}"


def parse_month(raw: str | None, today: date) -> tuple[int, int]:
    if raw is None:
        return today.year, today.month
    matched = MONTH.match(raw.strip())
    if matched is None or not 1 <= int(matched[2]) <= 12:
        raise UsageError(f"--month {raw!r} is not a month", hint="write it as 2026-11")
    return int(matched[1]), int(matched[2])


def month_name(year: int, month: int, lang: str) -> str:
    return f"{MONTH_NAMES[lang][month - 1]} {year}"


def newsletter_params(session: Session, workspace: Workspace, lang: str, raw_month: str | None,
                      today: date) -> dict[str, Any]:
    """The month's good news: positive mentions and mentions routed as praise, counted, with
    the strongest few quoted. A mention counts in the month it was published (or, without a
    publication date, first seen), in the company's time zone."""
    year, month = parse_month(raw_month, today)
    zone = ZoneInfo(workspace.settings.business_hours.timezone)
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=zone).astimezone(UTC)
    following = date(year + month // 12, month % 12 + 1, 1)
    end = datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC)
    in_month = or_(
        (col(Mention.published_at) >= start) & (col(Mention.published_at) < end),
        col(Mention.published_at).is_(None) & (col(Mention.first_seen_at) >= start)
        & (col(Mention.first_seen_at) < end))
    positive = list(session.exec(select(Mention).where(
        in_month, col(Mention.sentiment) == "positive")).all())
    # Ids first: DISTINCT over whole mention rows fails on PostgreSQL (JSON columns).
    praised_ids = set(session.exec(select(Mention.id).join(
        Assignment, col(Assignment.mention_id) == col(Mention.id)).where(
        in_month, col(Assignment.type) == "praise")).all())
    praised = list(session.exec(select(Mention).where(col(Mention.id).in_(praised_ids))).all())
    good = {m.id: m for m in [*praised, *positive]}
    # Praise a colleague routed first, then the most clearly positive, then the newest.
    ranked = sorted(good.values(), key=lambda m: (
        m.id not in praised_ids, -(m.sentiment_score or 0.0),
        -(m.published_at or m.first_seen_at).timestamp()))
    return {"month": f"{year:04d}-{month:02d}", "month_name": month_name(year, month, lang),
            "positive": len(positive), "praise": len(praised), "good_news": len(good),
            "highlights": [_quote(m, zone) for m in ranked[:HIGHLIGHTS]]}


def _quote(mention: Mention, zone: ZoneInfo) -> dict[str, Any]:
    # One line, cut to a readable length; the text itself stays data and is never rendered.
    text = " ".join((mention.text or mention.title or "").split())
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS - 1].rstrip() + "…"
    moment = mention.published_at or mention.first_seen_at
    # Only web links become links: a `javascript:` URL in a feed must not reach an e-mail.
    url = mention.url if (mention.url or "").lower().startswith(("https://", "http://")) else None
    return {"text": text, "author": mention.author, "source": mention.source_name, "url": url,
            "date": moment.astimezone(zone).date().isoformat()}
