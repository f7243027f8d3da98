"""The social media policy (job 4): policy.yaml holds the organisation's answers; the document is
generated from them together with what smo knows (official accounts, departments, people)."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from smo_cli.config import Workspace, describe_validation_error, read_yaml
from smo_cli.db.models import Account, Person, PolicyVersion
from smo_cli.errors import AlreadyExists, Conflict, InvalidData, NotFound
from smo_cli.render.documents import document_as, render

POLICY_FILE = "policy.yaml"
LANGUAGES = ("nl", "en")
PLACEHOLDER = re.compile(r"\bTODO\b|\?\?\?|<[^<>]{1,40}>|\bXXX\b")
TITLES = {"nl": "Socialemediabeleid", "en": "Social media policy"}
OFFICIAL_KINDS = ("official",)


class Spokesperson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str
    person: str


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str
    person: str


class PolicyFile(BaseModel):
    """policy.yaml: the organisation's own answers; every key is expected in a policy."""

    model_config = ConfigDict(extra="forbid")
    organisation_voice: str | None = None
    may_speak_for_company: list[str] = Field(default_factory=list)
    spokespersons: list[Spokesperson] = Field(default_factory=list)
    confidential: list[str] = Field(default_factory=list)
    personal_use: str | None = None
    disclosure: str | None = None
    criticism: str | None = None
    crisis_contacts: list[str] = Field(default_factory=list)
    crisis_phone: str | None = None
    privacy_and_copyright: str | None = None
    monitoring: str | None = None
    training: str | None = None
    acknowledgement: str | None = None
    consequences: str | None = None
    review_date: date | None = None
    contacts: list[Contact] = Field(default_factory=list)


def policy_path(workspace: Workspace) -> Path:
    return workspace.root / POLICY_FILE


def init_policy(workspace: Workspace, *, lang: str | None, force: bool = False) -> Path:
    """Write a commented policy.yaml with draft answers for the officer to complete."""
    lang = policy_language(workspace, lang)
    path = policy_path(workspace)
    if path.exists() and not force:
        raise AlreadyExists(f"{path} already exists", hint="edit it, or use --force")
    settings = workspace.settings
    text = render(f"policy/{lang}/policy.yaml.j2", {
        "org": settings.organisation.name, "officer_email": settings.officer.email or "",
        "departments": [{"key": d.key, "name": d.name} for d in settings.departments],
        "today": date.today().isoformat()}, workspace_templates=workspace.templates_dir)
    path.write_text(text, encoding="utf-8")
    load_policy(workspace)            # what init writes must read back
    return path


def load_policy(workspace: Workspace) -> PolicyFile:
    path = policy_path(workspace)
    if not path.exists():
        raise NotFound(f"no {POLICY_FILE} in {workspace.root}", hint="run `smo policy init`")
    try:
        return PolicyFile.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None


def check_policy(session: Session, workspace: Workspace) -> list[str]:
    """Problems as 'FILE: KEY: what is wrong' lines (missing answers, placeholders, unknowns)."""
    policy = load_policy(workspace)
    path = policy_path(workspace)
    settings = workspace.settings
    people = set(session.exec(select(col(Person.email))).all())
    if settings.officer.email:
        people.add(settings.officer.email.lower())
    problems: list[str] = []
    for key, value in policy.model_dump().items():
        if value in (None, "", []):
            problems.append(f"{path}: {key}: no answer yet")
        for where, text in _texts(key, value):
            if PLACEHOLDER.search(text):
                problems.append(f"{path}: {where}: a placeholder is left: {text[:60]!r}")
    targets = [("may_speak_for_company", t) for t in policy.may_speak_for_company] + [
        ("crisis_contacts", t) for t in policy.crisis_contacts] + [
        (f"spokespersons[{i}].person", s.person) for i, s in enumerate(policy.spokespersons)] + [
        (f"contacts[{i}].person", c.person) for i, c in enumerate(policy.contacts)]
    for where, target in targets:
        if target.startswith("dept:"):
            if settings.department(target[5:]) is None:
                problems.append(f"{path}: {where}: unknown department {target[5:]!r}")
        elif "@" in target and target.lower() not in people:
            problems.append(f"{path}: {where}: {target} is not in the people list")
    if policy.review_date and policy.review_date < date.today():
        problems.append(f"{path}: review_date: {policy.review_date} has passed")
    return problems


def _texts(key: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, list):
        found = []
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                found += [(f"{key}[{index}].{k}", str(v)) for k, v in entry.items()]
            else:
                found.append((f"{key}[{index}]", str(entry)))
        return found
    return []


def generate_policy(session: Session, workspace: Workspace, *, lang: str | None = None,
                    fmt: str = "md", version: str | None = None,
                    today: date | None = None) -> str | bytes:
    """The policy as Markdown, HTML or PDF. Without an explicit version it is the published version
    when the answers have not changed since (with that version's number and date), else a
    concept of today."""
    lang = policy_language(workspace, lang)
    policy = load_policy(workspace)
    if version is None:
        published = _published_unchanged(session, workspace, policy, lang)
        if published is not None:
            zone = ZoneInfo(workspace.settings.business_hours.timezone)
            version, today = str(published.number), published.published_at.astimezone(zone).date()
    context = _context(session, workspace, policy, lang, version or "concept",
                       today or date.today())
    markdown = render(f"policy/{lang}/policy.md.j2", context,
                      workspace_templates=workspace.templates_dir)
    title = f"{TITLES[lang]} — {workspace.settings.organisation.name}"
    return document_as(markdown, fmt, title=title, lang=lang,
                       workspace_templates=workspace.templates_dir)


def _content_hash(session: Session, workspace: Workspace, policy: PolicyFile, lang: str) -> str:
    """The hash covers what the policy says, not its version number or date, so unchanged
    answers are recognised as the same policy."""
    neutral = render(f"policy/{lang}/policy.md.j2",
                     _context(session, workspace, policy, lang, "-", date(2000, 1, 1)),
                     workspace_templates=workspace.templates_dir)
    return hashlib.sha256(neutral.encode("utf-8")).hexdigest()


def _latest(session: Session, lang: str) -> PolicyVersion | None:
    return session.exec(select(PolicyVersion).where(col(PolicyVersion.lang) == lang)
                        .order_by(col(PolicyVersion.number).desc())).first()


def _published_unchanged(session: Session, workspace: Workspace, policy: PolicyFile,
                         lang: str) -> PolicyVersion | None:
    latest = _latest(session, lang)
    if latest is None or latest.content_hash != _content_hash(session, workspace, policy, lang):
        return None
    return latest


def policy_language(workspace: Workspace, lang: str | None) -> str:
    """The language asked for, else the workspace's; only nl and en have templates."""
    chosen = (lang or workspace.settings.language).lower()
    if chosen not in LANGUAGES:
        raise InvalidData(f"unknown language {chosen!r}", hint="use nl or en")
    return chosen


def _context(session: Session, workspace: Workspace, policy: PolicyFile, lang: str,
             version: str, today: date) -> dict[str, Any]:
    settings = workspace.settings
    people = {p.email: p.name for p in session.exec(select(Person)).all()}
    departments = {d.key: d.name for d in settings.departments}

    def display(target: str) -> str:
        if target.startswith("dept:"):
            return departments.get(target[5:], target[5:])
        if target == "officer" or target.lower() == (settings.officer.email or "").lower():
            return f"{settings.officer.name or target} ({settings.officer.email or ''})"
        name = people.get(target.lower())
        return f"{name} ({target})" if name else target

    accounts = session.exec(select(Account).where(col(Account.kind).in_(OFFICIAL_KINDS))
                            .order_by(col(Account.platform), col(Account.handle))).all()
    return {
        "org": settings.organisation, "policy": policy, "version": version, "date": today,
        "officer": settings.officer, "departments": settings.departments, "lang": lang,
        "accounts": [{"platform": a.platform, "handle": a.handle, "url": a.url,
                      "owner_label": departments.get(a.owner[5:], a.owner)
                      if a.owner.startswith("dept:") else
                      ({"company": settings.organisation.name}.get(a.owner) or a.owner),
                      "custodian": people.get(a.custodian or "", a.custodian)}
                     for a in accounts],
        "spokespersons": [{"topic": s.topic, "name": people.get(s.person.lower(), s.person),
                           "email": s.person} for s in policy.spokespersons],
        "speakers": [display(t) for t in policy.may_speak_for_company],
        "crisis_contacts": [display(t) for t in policy.crisis_contacts],
        "contacts": [{"role": c.role, "name": people.get(c.person.lower(), c.person),
                      "email": c.person} for c in policy.contacts],
        "escalation": _escalation(session, workspace, display),
    }


def _escalation(session: Session, workspace: Workspace,
                display: Callable[[str], str]) -> dict[str, Any]:
    """Who smo warns at once, from the routing rules (crisis or critical rules) and from the
    spike alerts' contacts in smo.yaml, so the policy says what really happens."""
    from smo_cli.services.rules import parse_rules

    book = parse_rules(workspace, session)
    rules = [{"id": rule.id, "to": display(rule.then.assign), "hours": rule.then.sla_hours,
              "immediate": rule.then.delivery == "immediate"}
             for rule in book.rules
             if rule.then.type == "crisis" or rule.then.priority == "critical"]
    return {"rules": rules,
            "spikes": [display(c) for c in workspace.settings.escalation.contacts]}


def publish_policy(session: Session, workspace: Workspace, *, lang: str | None = None,
                   today: date | None = None) -> PolicyVersion:
    """Store the next version of the policy, word for word, with its content hash."""
    lang = policy_language(workspace, lang)
    problems = check_policy(session, workspace)
    if problems:
        raise InvalidData(f"{len(problems)} problems in {POLICY_FILE}: {problems[0]}",
                          hint="run `smo policy check` and fix them first")
    latest = _latest(session, lang)
    number = (latest.number if latest else 0) + 1
    content = str(generate_policy(session, workspace, lang=lang, version=str(number),
                                  today=today))
    digest = _content_hash(session, workspace, load_policy(workspace), lang)
    if latest is not None and latest.content_hash == digest:
        raise Conflict(f"nothing changed since version {latest.number}",
                       hint="edit policy.yaml (or the inventory) first")
    version = PolicyVersion(number=number, lang=lang, content_hash=digest, content=content)
    session.add(version)
    session.flush()
    return version


def list_versions(session: Session) -> list[dict[str, Any]]:
    return [{"number": v.number, "lang": v.lang, "published_at": v.published_at,
             "content_hash": v.content_hash[:12]}
            for v in session.exec(select(PolicyVersion).order_by(
                col(PolicyVersion.lang), col(PolicyVersion.number))).all()]


def diff_versions(session: Session, old: int, new: int, lang: str) -> str:
    """What changed between two published versions, as a unified diff."""
    def get(number: int) -> PolicyVersion:
        found = session.exec(select(PolicyVersion).where(
            col(PolicyVersion.number) == number, col(PolicyVersion.lang) == lang)).first()
        if found is None:
            raise NotFound(f"no published policy version {number} in {lang!r}",
                           hint="see `smo policy versions`")
        return found

    before, after = get(old), get(new)
    return "".join(difflib.unified_diff(
        before.content.splitlines(keepends=True), after.content.splitlines(keepends=True),
        fromfile=f"versie {old}" if lang == "nl" else f"version {old}",
        tofile=f"versie {new}" if lang == "nl" else f"version {new}"))
