"""Training material (job 5): a handout for participants and an outline for the trainer, filled
with the organisation's own answers (policy.yaml, when there is one), its official accounts,
spokespersons and contacts, so a training talks about this company and not companies in general.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.models import Account, Person
from smo_cli.render.documents import document_as, render
from smo_cli.services.business_hours import local_today
from smo_cli.services.policy import PolicyFile, load_policy, policy_language, policy_path
from smo_cli.services.training import OFFICIAL_KINDS, Course, get_course

TITLES = {"nl": "Trainingsmateriaal", "en": "Training material"}


def material(session: Session, workspace: Workspace, course_key: str, *,
             lang: str | None = None, fmt: str = "md",
             today: date | None = None) -> str | bytes:
    """The handout and session outline of a course as Markdown, HTML or PDF."""
    lang = policy_language(workspace, lang)
    course = get_course(workspace, course_key)
    context = material_context(session, workspace, course, lang, today or local_today(workspace))
    markdown = render(f"training/{lang}/material.md.j2", context,
                      workspace_templates=workspace.templates_dir)
    title = f"{TITLES[lang]}: {course.title} — {workspace.settings.organisation.name}"
    return document_as(markdown, fmt, title=title, lang=lang,
                       workspace_templates=workspace.templates_dir)


def outline(course: Course) -> list[dict[str, Any]]:
    """The modules with their place in the session (minutes from the start); modules without
    minutes share what the course's duration leaves."""
    timed = sum(m.minutes or 0 for m in course.modules)
    untimed = [m for m in course.modules if not m.minutes]
    share = max(course.duration - timed, 0) // len(untimed) if untimed else 0
    rows, at = [], 0
    for number, module in enumerate(course.modules, start=1):
        minutes = module.minutes or share
        rows.append({"number": number, "title": module.title, "minutes": minutes,
                     "from": _clock(at), "to": _clock(at + minutes)})
        at += minutes
    return rows


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def material_context(session: Session, workspace: Workspace, course: Course, lang: str,
                     today: date) -> dict[str, Any]:
    settings = workspace.settings
    people = {p.email: p.name for p in session.exec(select(Person)).all()}
    departments = {d.key: d.name for d in settings.departments}
    policy: PolicyFile | None = load_policy(workspace) if policy_path(workspace).exists() else None

    def name(target: str) -> str:
        if target.startswith("dept:"):
            return departments.get(target[5:], target[5:])
        return people.get(target.lower(), target)

    accounts = session.exec(select(Account).where(col(Account.kind).in_(OFFICIAL_KINDS))
                            .order_by(col(Account.platform), col(Account.handle))).all()
    return {
        "org": settings.organisation, "officer": settings.officer, "course": course,
        "lang": lang, "date": today, "outline": outline(course), "policy": policy,
        "audience": {"all": course.audience.all,
                     "departments": [departments.get(k, k) for k in course.audience.departments],
                     "roles": course.audience.roles, "people": len(course.audience.people),
                     "custodians": course.audience.custodians,
                     "professional_accounts": course.audience.professional_accounts},
        "accounts": [{"platform": a.platform, "handle": a.handle or "", "url": a.url,
                      "custodian": name(a.custodian) if a.custodian else None}
                     for a in accounts],
        "spokespersons": [{"topic": s.topic, "name": name(s.person), "email": s.person}
                          for s in (policy.spokespersons if policy else [])],
        "contacts": [{"role": c.role, "name": name(c.person), "email": c.person}
                     for c in (policy.contacts if policy else [])],
        "speakers": [name(t) for t in (policy.may_speak_for_company if policy else [])],
        "crisis_contacts": [name(t) for t in (policy.crisis_contacts if policy else [])],
        "departments": [{"key": d.key, "name": d.name, "email": d.email}
                        for d in settings.departments],
    }
