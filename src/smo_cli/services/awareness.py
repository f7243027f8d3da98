"""Awareness campaigns (job 1): messages that bring every employee along — a kick-off, the policy
launch, "did you know" tips and a monthly newsletter — made from templates, personalised, and
sent once to each person through the delivery channels.

A campaign fixes its facts when it is made (see awareness_content); sending renders it per person
(first name, department) and queues one outbox message per person together with a
CampaignDelivery row in one transaction. That row is what keeps a campaign to once per person: a
second send reaches only people added since.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jinja2
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from smo_cli.config import Workspace
from smo_cli.db.engine import reading, transaction
from smo_cli.db.models import AwarenessCampaign, CampaignDelivery, OutboxMessage, Person
from smo_cli.db.types import utcnow
from smo_cli.errors import AlreadyExists, InvalidData, NotFound, UsageError
from smo_cli.render.documents import make_environment
from smo_cli.services import awareness_content as content
from smo_cli.services.business_hours import local_today

KINDS = ("kickoff", "policy-launch", "tip", "newsletter")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
DELIVERY = "campaign"             # OutboxMessage.delivery (at most 10 characters)
OUTBOX_KEY_LENGTH = 100
SAMPLE_PEOPLE = {"nl": ("Sam de Voorbeeld", "sam@voorbeeld.example"),
                 "en": ("Sam Example", "sam@example.example")}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    department: str | None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.email

    def row(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "department": self.department or ""}


@dataclass(frozen=True)
class Preview:
    key: str
    kind: str
    lang: str
    recipient: Recipient
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class SendOutcome:
    campaign: str
    recipients: list[Recipient]     # reached now (or, in a dry run, that would be)
    already: int                    # in scope but had it already
    delivery: Any = None            # the outbox's DeliveryReport; None in a dry run


def new_campaign(session: Session, workspace: Workspace, *, key: str, kind: str,
                 lang: str | None = None, tip: int | None = None, month: str | None = None,
                 today: date | None = None) -> AwarenessCampaign:
    """Make a campaign from the built-in (or the workspace's) templates and fix its facts."""
    from smo_cli.services.policy import policy_language

    if not KEY_PATTERN.match(key):
        raise InvalidData(f"campaign key {key!r} is not valid",
                          hint="use lower-case letters, digits, - and _ (e.g. kickoff-2026)")
    if kind not in KINDS:
        raise InvalidData(f"unknown campaign kind {kind!r}", hint=f"kinds: {', '.join(KINDS)}")
    if tip is not None and kind != "tip":
        raise UsageError("--tip goes with --kind tip")
    if month is not None and kind != "newsletter":
        raise UsageError("--month goes with --kind newsletter")
    lang = policy_language(workspace, lang)
    if _find(session, key) is not None:
        raise AlreadyExists(f"campaign {key!r} already exists",
                            hint="pick another key; see `smo awareness campaign list`")
    params = content.contact_params(session, workspace, lang)
    if kind == "policy-launch":
        params |= content.policy_params(session, workspace, lang)
    elif kind == "tip":
        params |= content.tip_params(session, workspace, lang, tip)
    elif kind == "newsletter":
        params |= content.newsletter_params(session, workspace, lang, month,
                                            today or local_today(workspace))
    templates = _Templates(workspace, kind, lang)
    subject = templates.subject(_context(workspace, lang, params, None))
    campaign = AwarenessCampaign(key=key, kind=kind, lang=lang, subject=subject, params=params)
    session.add(campaign)
    session.flush()
    return campaign


def list_campaigns(session: Session) -> list[dict[str, Any]]:
    sent = dict(session.exec(select(CampaignDelivery.campaign_id, func.count())
                             .group_by(col(CampaignDelivery.campaign_id))).all())
    return [{"key": c.key, "kind": c.kind, "lang": c.lang, "subject": c.subject,
             "created_at": c.created_at, "sent": sent.get(c.id or 0, 0)}
            for c in session.exec(select(AwarenessCampaign).order_by(
                col(AwarenessCampaign.created_at), col(AwarenessCampaign.id)))]


def preview_campaign(session: Session, workspace: Workspace, key: str, *,
                     email: str | None = None) -> Preview:
    """The campaign as one person would get it: the person named, else the first in the
    people list, else a made-up colleague."""
    campaign = get_campaign(session, key)
    if email is not None:
        from smo_cli.services.org import get_person

        recipient = _recipient(get_person(session, email))
    else:
        first = session.exec(select(Person).order_by(col(Person.department),
                                                     col(Person.name))).first()
        name, address = SAMPLE_PEOPLE[campaign.lang]
        recipient = _recipient(first) if first else Recipient(address, name, None)
    templates = _Templates(workspace, campaign.kind, campaign.lang)
    text, html = templates.body(_context(workspace, campaign.lang, campaign.params, recipient))
    return Preview(campaign.key, campaign.kind, campaign.lang, recipient, campaign.subject,
                   text, html)


def send_campaign(engine: Engine, workspace: Workspace, env: Mapping[str, str], key: str, *,
                  department: str | None = None, dry_run: bool = False,
                  now: datetime | None = None) -> SendOutcome:
    """Send a campaign to everyone (or one department) who has not had it yet: one personal
    e-mail each, queued with its CampaignDelivery row and delivered straight away."""
    from smo_cli.services.org import check_department, list_people
    from smo_cli.services.outbox import deliver

    now = now or utcnow()
    settings = workspace.settings
    channel = settings.delivery.channel
    if channel is None or settings.channel(channel) is None:
        raise InvalidData("no delivery channel for campaigns",
                          hint="set delivery.channel in smo.yaml to one of `channels`")
    department = check_department(settings, department)
    with reading(engine) as session:
        campaign = get_campaign(session, key)
        campaign_id, kind, lang = campaign.id or 0, campaign.kind, campaign.lang
        subject, params = campaign.subject, dict(campaign.params)
        people = [_recipient(p) for p in list_people(session, department=department)]
        had = _delivered(session, campaign_id)
    fresh = [p for p in people if p.email not in had]
    # Rendered in a dry run too, so a broken (workspace) template shows before the real send.
    templates = _Templates(workspace, kind, lang)
    bodies = [templates.body(_context(workspace, lang, params, p)) for p in fresh]
    if dry_run or not fresh:
        return SendOutcome(key, fresh, len(people) - len(fresh))
    attachments = []
    if kind == "policy-launch" and params.get("version"):
        with reading(engine) as session:
            attachments.append(content.policy_attachment(session, workspace, lang,
                                                          int(params["version"])))
    queued: list[tuple[Recipient, OutboxMessage, CampaignDelivery]] = []
    for person, (text, html) in zip(fresh, bodies, strict=True):
        outbox_key = _outbox_key(campaign_id, person.email)
        queued.append((person, OutboxMessage(
            key=outbox_key, channel=channel, delivery=DELIVERY, recipients=[person.email],
            state="pending", next_attempt_at=now, created_at=now,
            payload={"subject": subject, "text": text, "html": html, "kind": "campaign",
                     "campaign": key, "lang": lang, "attachments": attachments}),
            CampaignDelivery(campaign_id=campaign_id, email=person.email,
                             department=person.department, sent_at=now, outbox_key=outbox_key)))
    with transaction(engine) as session:
        # Checked again inside the write transaction: a send running at the same time may
        # have reached some of them since we looked.
        had = _delivered(session, campaign_id)
        queued = [entry for entry in queued if entry[0].email not in had]
        for _, message, delivery in queued:
            session.add(message)
            session.add(delivery)
        session.flush()
        ids = [message.id or 0 for _, message, _ in queued]
    reached = [person for person, _, _ in queued]
    if not ids:
        return SendOutcome(key, [], len(people))
    report = deliver(engine, workspace, env, digests=False, only=ids, now=now)
    return SendOutcome(key, reached, len(people) - len(reached), report)


def get_campaign(session: Session, key: str) -> AwarenessCampaign:
    found = _find(session, key)
    if found is None:
        raise NotFound(f"no campaign {key!r}", hint="see `smo awareness campaign list`")
    return found


def _find(session: Session, key: str) -> AwarenessCampaign | None:
    return session.exec(select(AwarenessCampaign).where(
        col(AwarenessCampaign.key) == key)).first()


def _delivered(session: Session, campaign_id: int) -> set[str]:
    return set(session.exec(select(CampaignDelivery.email).where(
        col(CampaignDelivery.campaign_id) == campaign_id)).all())


def _recipient(person: Person) -> Recipient:
    return Recipient(person.email, person.name, person.department)


def _outbox_key(campaign_id: int, email: str) -> str:
    # Readable where it fits (the file channel names its .eml after it); hashed where an
    # unusually long address would not fit the column.
    key = f"smo-campaign-{campaign_id}-{email}"
    if len(key) > OUTBOX_KEY_LENGTH:
        key = f"smo-campaign-{campaign_id}-{hashlib.sha256(email.encode()).hexdigest()[:24]}"
    return key


def _context(workspace: Workspace, lang: str, params: Mapping[str, Any],
             person: Recipient | None) -> dict[str, Any]:
    settings = workspace.settings
    context: dict[str, Any] = {**params, "org": settings.organisation.name,
                               "officer": settings.officer, "lang": lang}
    if person is not None:
        dept = settings.department(person.department or "")
        context |= {"first_name": person.first_name,
                    "person": {"name": person.name, "email": person.email,
                               "department": person.department,
                               "department_name": dept.name if dept else None}}
    return context


class _Templates:
    """The three templates of a campaign kind, loaded once and rendered for every person (a
    fresh environment per message would compile them again for each of hundreds)."""

    def __init__(self, workspace: Workspace, kind: str, lang: str) -> None:
        self.base = f"awareness/{lang}/{kind}"
        plain = make_environment(workspace.templates_dir)
        rich = make_environment(workspace.templates_dir, html=True)
        for env in (plain, rich):
            env.filters["long_date"] = lambda value: content.long_date(value, lang)
        self._subject = self._load(plain, "subject.j2")
        self._text = self._load(plain, "txt.j2")
        self._html = self._load(rich, "html.j2")

    def _load(self, env: jinja2.Environment, suffix: str) -> jinja2.Template:
        name = f"{self.base}.{suffix}"
        try:
            return env.get_template(name)
        except jinja2.TemplateNotFound:
            raise NotFound(f"template {name} not found") from None
        except jinja2.TemplateSyntaxError as exc:
            raise InvalidData(f"template {exc.filename or name}:{exc.lineno}: {exc.message}",
                              ) from None

    def subject(self, context: dict[str, Any]) -> str:
        return " ".join(self._render(self._subject, context).split())[:300]

    def body(self, context: dict[str, Any]) -> tuple[str, str]:
        return self._render(self._text, context), self._render(self._html, context)

    def _render(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        try:
            return template.render(**context)
        except jinja2.UndefinedError as exc:
            raise InvalidData(f"template {template.name}: {exc.message}") from None
        except jinja2.exceptions.SecurityError as exc:
            raise InvalidData(f"template {template.name}: not allowed: {exc}") from None
