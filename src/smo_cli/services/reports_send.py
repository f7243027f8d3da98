"""Mailing a report (`smo report ... --send`) through the delivery channels.

As `policy remind` does, the report is queued as an outbox message carrying its own subject,
plain text (the Markdown) and HTML (the standalone page), then delivered at once; a message that
cannot go now stays in the outbox and the next `smo outbox send` retries it.

Who receives it: the executive report goes to the strategy's approver (strategy.yaml
`approver`), else to the head of the first department that has one, else to the officer; a
department's report goes where its inbox messages go (its address, else its head).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from smo_cli.config import Workspace
from smo_cli.db.engine import transaction
from smo_cli.db.models import OutboxMessage
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData
from smo_cli.services.reports import DepartmentReport, ExecutiveReport
from smo_cli.services.reports_render import render_report, report_title
from smo_cli.services.strategy import load_strategy, strategy_path


@dataclass(frozen=True)
class SendOutcome:
    channel: str
    recipients: list[str]
    subject: str
    delivery: Any = None            # the outbox's DeliveryReport; None in a dry run


def ceo_address(workspace: Workspace) -> str:
    """Where the executive report goes: the strategy's approver, else the head of the first
    department with one, else the officer."""
    settings = workspace.settings
    if strategy_path(workspace).is_file():
        approver = load_strategy(workspace).approver
        if approver and "@" in approver:
            return approver.strip().lower()
    head = next((d.head for d in settings.departments if d.head), None)
    address = head or settings.officer.email
    if not address:
        raise InvalidData("nobody to send the executive report to",
                          hint="set approver in strategy.yaml, a department head or "
                               "officer.email in smo.yaml")
    return address


def _destination(workspace: Workspace, report: ExecutiveReport | DepartmentReport
                 ) -> tuple[str, list[str]]:
    from smo_cli.services.outbox import recipients_for

    settings = workspace.settings
    if isinstance(report, ExecutiveReport):
        channel, recipients = settings.delivery.channel, [ceo_address(workspace)]
    else:
        channel, recipients = recipients_for(settings, report.department.key, None)
    if not recipients:
        raise InvalidData(f"department {report.department.key!r} has no e-mail address or head"
                          if isinstance(report, DepartmentReport) else "nobody to send to",
                          hint="add email or head to the department in smo.yaml")
    if channel is None or settings.channel(channel) is None:
        raise InvalidData("no delivery channel for reports",
                          hint="set delivery.channel in smo.yaml to one of `channels`")
    return channel, recipients


def send_report(engine: Engine, workspace: Workspace, env: Mapping[str, str],
                report: ExecutiveReport | DepartmentReport, *, dry_run: bool = False,
                now: datetime | None = None) -> SendOutcome:
    """Queue the report for its recipients and deliver it now (unless a dry run)."""
    from smo_cli.services.outbox import deliver

    now = now or utcnow()
    channel, recipients = _destination(workspace, report)
    subject = report_title(report)
    if dry_run:
        return SendOutcome(channel, recipients, subject)
    text, html = render_report(report, workspace, "md"), render_report(report, workspace, "html")
    kind = "executive" if isinstance(report, ExecutiveReport) else "department"
    # One message per --send: the moment is part of the key, so sending again sends again.
    digest = hashlib.sha256("\n".join([kind, subject, report.lang, *recipients,
                                       now.isoformat()]).encode()).hexdigest()[:16]
    row = OutboxMessage(
        key=f"smo-report-{kind}-{report.period.label}-{digest}", channel=channel,
        delivery="report", recipients=recipients, state="pending", next_attempt_at=now,
        created_at=now,
        payload={"subject": subject, "text": str(text), "html": str(html), "kind": kind,
                 "period": report.period.label, "lang": report.lang})
    with transaction(engine) as session:
        session.add(row)
        session.flush()
        ident = row.id or 0
    delivery = deliver(engine, workspace, env, digests=False, only=[ident], now=now)
    return SendOutcome(channel, recipients, subject, delivery)
