"""Presence targets (where the company and each department should be) and the gap against them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from smo_cli.config import Settings
from smo_cli.db.models import (
    Account,
    AccountKind,
    Person,
    Platform,
    PresenceTarget,
    Requirement,
)
from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData, NotFound
from smo_cli.services.csv_files import read_csv, row_error
from smo_cli.services.inventory import NO_OWNER, is_dormant, latest_snapshots, normalise_owner

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
# Kinds that count as being present for a scope (a dormant or fake account is not presence).
PRESENT_KINDS = {AccountKind.official.value, AccountKind.employee_professional.value,
                 AccountKind.advocate.value}


@dataclass(frozen=True)
class Gap:
    scope: str        # company or dept:<key>
    platform: str
    finding: str      # missing | must-not | dormant | impostor | no-owner | check-failed | ...
    severity: str     # high | medium | low
    account_id: int | None
    account: str | None
    detail: str       # English, for the command line; documents word it from the fields below
    why: str | None = None               # the target's reason, as the officer wrote it
    last_post: datetime | None = None    # for dormant accounts


def _target_scope(settings: Settings, owner: str) -> str:
    scope = normalise_owner(settings, owner)
    if "@" in scope:
        raise InvalidData("targets are for the company or a department, not for one person",
                          hint="use --owner company or --owner dept:<key>")
    return scope


def set_target(session: Session, settings: Settings, *, platform: Platform, owner: str,
               required: Requirement, why: str | None) -> PresenceTarget:
    scope = _target_scope(settings, owner)
    target = session.scalars(select(PresenceTarget).where(
        col(PresenceTarget.platform) == platform.value,
        col(PresenceTarget.owner) == scope)).first()
    if target is None:
        target = PresenceTarget(platform=platform.value, owner=scope, required=required.value)
        session.add(target)
    target.required = required.value
    target.why = (why or "").strip() or target.why
    target.updated_at = utcnow()
    session.flush()
    return target


def import_targets(session: Session, settings: Settings, path: Path) -> int:
    """Set targets from CSV (platform, owner, required, why); a bad row imports nothing."""
    rows = read_csv(path, aliases={}, required=("platform", "required"),
                    known=("platform", "owner", "required", "why"))
    parsed: list[tuple[Platform, str, Requirement, str | None]] = []
    for row in rows:
        try:
            platform = Platform(row.get("platform").lower())
        except ValueError:
            raise row_error(path, row, "platform", f"unknown platform {row.get('platform')!r}") \
                from None
        try:
            required = Requirement(row.get("required").lower())
        except ValueError:
            raise row_error(path, row, "required", f"{row.get('required')!r} is not must, "
                            "should or must-not") from None
        owner = row.get("owner") or "company"
        try:
            _target_scope(settings, owner)
        except InvalidData as exc:
            raise row_error(path, row, "owner", exc.message) from None
        parsed.append((platform, owner, required, row.get("why") or None))
    for platform, owner, required, why in parsed:
        set_target(session, settings, platform=platform, owner=owner, required=required, why=why)
    return len(parsed)


def list_targets(session: Session) -> list[PresenceTarget]:
    return list(session.scalars(select(PresenceTarget).order_by(
        col(PresenceTarget.owner), col(PresenceTarget.platform))).all())


def remove_target(session: Session, settings: Settings, *, platform: Platform,
                  owner: str) -> PresenceTarget:
    scope = normalise_owner(settings, owner)
    target = session.scalars(select(PresenceTarget).where(
        col(PresenceTarget.platform) == platform.value,
        col(PresenceTarget.owner) == scope)).first()
    if target is None:
        raise NotFound(f"no target for {platform.value} and {scope}")
    session.delete(target)
    session.flush()
    return target


def find_gaps(session: Session, settings: Settings, *, department: str | None = None,
              now: datetime | None = None) -> list[Gap]:
    """Everything between the inventory and the targets, most severe first."""
    now = now or utcnow()
    people = {p.email: p.department for p in session.scalars(select(Person)).all()}
    accounts = list(session.scalars(select(Account)).all())
    answered = latest_snapshots(session, answered=True)
    checked = latest_snapshots(session)
    gaps: list[Gap] = []

    def scope_of(account: Account) -> str:
        """Where an account is reported: its department, or the person when they have none."""
        if "@" in account.owner:
            dept = people.get(account.owner)
            return f"dept:{dept}" if dept else account.owner
        return account.owner or "company"

    present: set[tuple[str, str]] = set()
    for account in accounts:
        scope = scope_of(account)
        snapshot = answered.get(account.id or 0)
        last_post = snapshot.last_post_at if snapshot else None
        dormant = account.kind == AccountKind.dormant.value or is_dormant(
            last_post, now, settings.inventory)
        # Company targets are met by company accounts only; a department's also by its people.
        if account.kind in PRESENT_KINDS and not dormant and account.owner != NO_OWNER:
            present.add((scope, account.platform))
        gaps.extend(_account_findings(settings, account, scope, people, dormant, last_post))
        newest = checked.get(account.id or 0)
        if newest is not None and newest.status in ("error", "unreachable"):
            gaps.append(Gap(scope, account.platform, "check-failed", "medium", account.id,
                            account.handle, newest.detail or newest.status,
                            why=newest.detail))

    for target in list_targets(session):
        exists = (target.owner, target.platform) in present
        if target.required in (Requirement.must.value, Requirement.should.value) and not exists:
            gaps.append(Gap(target.owner, target.platform, "missing",
                            "high" if target.required == Requirement.must.value else "medium",
                            None, None, target.why or f"target: {target.required}",
                            why=target.why))
        if target.required == Requirement.must_not.value:
            for account in accounts:
                # Only the scope's own accounts break a must-not: an employee's private
                # presence on a platform is theirs, and an impostor is reported as such.
                if account.platform == target.platform and account.owner == target.owner \
                        and account.kind != AccountKind.impostor.value:
                    gaps.append(Gap(target.owner, target.platform, "must-not", "high",
                                    account.id, account.handle,
                                    target.why or "the target says: not on this platform",
                                    why=target.why))
    if department:
        gaps = [g for g in gaps if g.scope == f"dept:{department.lower()}"]
    return sorted(gaps, key=lambda g: (SEVERITY_ORDER[g.severity], g.scope, g.platform,
                                       g.finding, g.account or ""))


def _account_findings(settings: Settings, account: Account, scope: str,
                      people: dict[str, str | None], is_dormant: bool,
                      last_post: datetime | None) -> list[Gap]:
    def gap(finding: str, severity: str, detail: str) -> Gap:
        return Gap(scope, account.platform, finding, severity, account.id, account.handle, detail,
                   last_post=last_post)

    found: list[Gap] = []
    if account.kind == AccountKind.impostor.value:
        return [gap("impostor", "high", "not ours: report it to the platform")]
    if is_dormant:
        when = f"last post {last_post.date().isoformat()}" if last_post else "marked dormant"
        found.append(gap("dormant", "medium", f"{when}: revive or close it"))
    if account.owner == NO_OWNER:
        found.append(gap("no-owner", "medium", "nobody in the company owns it: claim or close it"))
    elif account.owner.startswith("dept:") and settings.department(account.owner[5:]) is None:
        found.append(gap("unknown-owner", "medium", f"{account.owner} is not in smo.yaml"))
    elif "@" in account.owner and account.owner not in people:
        found.append(gap("unknown-owner", "medium", f"{account.owner} is not in the people list"))
    if account.kind in (AccountKind.official.value, AccountKind.dormant.value):
        if not account.custodian:
            found.append(gap("no-custodian", "medium", "nobody is named as holder of the login"))
        if account.two_factor is False:
            found.append(gap("no-two-factor", "high", "two-factor authentication is off"))
        elif account.two_factor is None:
            found.append(gap("no-two-factor", "medium", "two-factor authentication not recorded"))
    return found
