"""How far awareness reaches (job 1), per department: people, how many received a campaign, who
acknowledged the current policy, who is trained, and the latest awareness index with its trend.

Counts are of the people in the people list now (a colleague who left no longer counts); the index
is by the department respondents gave when they answered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from smo_cli.config import Workspace
from smo_cli.db.models import AwarenessCampaign, CampaignDelivery, Person
from smo_cli.errors import NotFound
from smo_cli.services.surveys import ALL, history, latest_with_trend

STATUS_COLUMNS = ("department", "name", "people", "reached", "acknowledged", "trained", "index",
                  "trend")


@dataclass(frozen=True)
class StatusReport:
    rows: list[dict[str, Any]]
    campaigns: list[str] = field(default_factory=list)    # keys in each row's "campaigns"
    policy_version: int | None = None                     # None: no policy published
    columns: tuple[str, ...] = STATUS_COLUMNS


def awareness_status(session: Session, workspace: Workspace, *, department: str | None = None,
                     per_campaign: bool = False, today: date) -> StatusReport:
    """One row per department (only `department` when given, else all and a total)."""
    from smo_cli.services.org import check_department
    from smo_cli.services.policy_acks import ack_status
    from smo_cli.services.training import trained_people

    settings = workspace.settings
    department = check_department(settings, department)
    statement = select(Person).order_by(col(Person.department), col(Person.name))
    if department is not None:
        statement = statement.where(col(Person.department) == department)
    members: dict[str, list[str]] = defaultdict(list)
    for person in session.exec(statement):
        members[person.department or ""].append(person.email)
    campaigns = list(session.exec(select(AwarenessCampaign).order_by(
        col(AwarenessCampaign.created_at), col(AwarenessCampaign.id))).all())
    received: dict[str, set[str]] = defaultdict(set)        # campaign key → addresses
    names = {c.id: c.key for c in campaigns}
    for campaign_id, email in session.exec(select(CampaignDelivery.campaign_id,
                                                  CampaignDelivery.email)):
        received[names[campaign_id]].add(email)
    reached = set().union(*received.values()) if received else set()
    acknowledged: set[str] | None
    try:
        version, statuses = ack_status(session, workspace, department=department)
    except NotFound:
        acknowledged, number = None, None       # nothing published: nothing to acknowledge
    else:
        acknowledged = {s.email for s in statuses if s.state == "current"}
        number = version.number
    trained = trained_people(session, workspace, today)
    timeline = history(session)
    keys = [department] if department else [d.key for d in settings.departments]
    keys += sorted(k for k in members if k not in keys)     # none, or no longer in smo.yaml
    groups = [(k, members.get(k, [])) for k in keys]
    if department is None:
        groups.append((ALL, [e for k in keys for e in members.get(k, [])]))
    rows = []
    for key, emails in groups:
        if key == "" and not emails:
            continue
        dept = settings.department(key)
        index, trend = latest_with_trend(timeline, key)
        row: dict[str, Any] = {
            "department": key, "name": dept.name if dept else "",
            "people": len(emails), "reached": sum(e in reached for e in emails),
            "acknowledged": None if acknowledged is None else
            sum(e in acknowledged for e in emails),
            "trained": sum(e in trained for e in emails),
            "index": None if index is None else round(index, 1),
            "trend": None if trend is None else round(trend, 1)}
        if per_campaign:
            row["campaigns"] = {c.key: sum(e in received[c.key] for e in emails)
                                for c in campaigns}
        rows.append(row)
    return StatusReport(rows, [c.key for c in campaigns] if per_campaign else [], number)
