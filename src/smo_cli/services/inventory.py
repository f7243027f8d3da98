"""The presence inventory (job 3): where the company and its employees are on social media."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Subquery, and_, func, or_, select
from sqlmodel import Session, col

from smo_cli.config import InventorySettings, Settings
from smo_cli.db.models import Account, AccountKind, AccountSnapshot, Person, Platform, table_of
from smo_cli.db.types import utcnow
from smo_cli.errors import AlreadyExists, Conflict, InvalidData, NotFound
from smo_cli.render.output import write_csv
from smo_cli.services.csv_files import (
    FieldProblem,
    ImportSummary,
    apply_changes,
    read_csv,
    row_error,
)
from smo_cli.services.handles import guess_platform, identify, looks_like_url
from smo_cli.services.org import EMAIL, check_department

CSV_COLUMNS = ("platform", "handle", "url", "owner", "kind", "purpose", "custodian",
               "two_factor", "created", "notes")
LIST_COLUMNS = ("id", "platform", "handle", "owner", "kind", "custodian", "two_factor",
                "last_post", "url")
_YES = {"yes", "y", "true", "1", "ja", "j", "on"}
_NO = {"no", "n", "false", "0", "nee", "off"}


@dataclass(frozen=True)
class AccountInput:
    platform: Platform
    handle: str | None = None
    url: str | None = None
    owner: str = "company"
    kind: AccountKind | None = None
    purpose: str | None = None
    custodian: str | None = None
    two_factor: bool | None = None
    created: date | None = None
    notes: str | None = None


NO_OWNER = ""


def normalise_owner(settings: Settings, owner: str | None) -> str:
    """`company`, `dept:<key>` (a department in smo.yaml), a person's e-mail, or no owner ("")."""
    value = (owner or "").strip()
    if value.lower() in ("", "none", "-"):
        return NO_OWNER
    if value.lower() == "company":
        return "company"
    if value.lower().startswith("dept:"):
        key = check_department(settings, value[5:])
        if key is None:
            raise InvalidData("`dept:` needs a department key, e.g. dept:sales")
        return f"dept:{key}"
    if EMAIL.match(value.lower()):
        return value.lower()
    raise InvalidData(f"owner {value!r} is not company, dept:<key> or an e-mail address")


def default_kind(owner: str) -> AccountKind:
    if owner == NO_OWNER:
        return AccountKind.unknown
    return AccountKind.employee_professional if "@" in owner else AccountKind.official


def parse_yes_no(value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    if not text or text in {"unknown", "?", "onbekend"}:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidData(f"{value!r} is not yes or no")


def parse_day(value: str | None) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidData(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _clean(settings: Settings, data: AccountInput) -> dict[str, Any]:
    """Validated column values; a problem names its field."""
    try:
        identity = identify(data.platform, data.handle, data.url)
    except InvalidData as exc:
        field = "url" if data.url or looks_like_url(data.handle or "") else "handle"
        raise FieldProblem(field, exc.message, hint=exc.hint) from None
    try:
        owner = normalise_owner(settings, data.owner)
    except InvalidData as exc:
        raise FieldProblem("owner", exc.message, hint=exc.hint) from None
    custodian = (data.custodian or "").strip() or None
    if custodian and "@" in custodian:
        custodian = custodian.lower()
    return {
        "platform": data.platform.value, "handle": identity.handle, "url": identity.url,
        "owner": owner, "kind": (data.kind or default_kind(owner)).value,
        "purpose": (data.purpose or "").strip() or None, "custodian": custodian,
        "two_factor": data.two_factor, "created": data.created,
        "notes": (data.notes or "").strip() or None,
    }


def find_account(session: Session, platform: str, handle: str) -> Account | None:
    query = select(Account).where(col(Account.platform) == platform,
                                  col(Account.handle) == handle)
    return session.scalars(query).first()


def add_account(session: Session, settings: Settings, data: AccountInput) -> Account:
    values = _clean(settings, data)
    existing = find_account(session, values["platform"], values["handle"])
    if existing is not None:
        raise AlreadyExists(f"{values['handle']} on {values['platform']} is already in the "
                            f"inventory (id {existing.id})",
                            hint=f"change it with `smo inventory edit {existing.id}`")
    account = Account(**values)
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, reference: str | int) -> Account:
    """An account by id, or by handle or URL when that is unambiguous."""
    text = str(reference).strip()
    if text.isdigit():
        account = session.get(Account, int(text))
        if account is None:
            raise NotFound(f"no account with id {text}", hint="see `smo inventory list`")
        return account
    needle = text.lower().rstrip("/")
    same_account = [and_(col(Account.platform) == p, col(Account.handle) == h)
                    for p, h in _identities(text)]
    matches = list(session.scalars(select(Account).where(or_(
        func.lower(Account.handle) == needle, func.lower(Account.handle) == "@" + needle,
        func.lower(func.rtrim(Account.url, "/")) == needle, *same_account))).all())
    if not matches:
        raise NotFound(f"no account {text!r} in the inventory", hint="see `smo inventory list`")
    if len(matches) > 1:
        ids = ", ".join(f"{a.id} ({a.platform})" for a in matches)
        raise Conflict(f"{text!r} matches several accounts: {ids}", hint="use the id")
    return matches[0]


def _identities(text: str) -> list[tuple[str, str]]:
    """(platform, canonical handle) pairs a pasted URL could mean, so any form finds the row."""
    if not looks_like_url(text):
        return []
    guessed = guess_platform(text)
    candidates = [guessed] if guessed else [Platform.website, Platform.blog, Platform.other]
    found = []
    for platform in candidates:
        try:
            found.append((platform.value, identify(platform, None, text).handle))
        except InvalidData:
            continue
    return found


def edit_account(session: Session, settings: Settings, reference: str | int,
                 changes: dict[str, Any]) -> Account:
    """Apply the given fields (only those not None) and re-normalise the identity."""
    account = get_account(session, reference)
    known = {f.name for f in fields(AccountInput)}
    unknown = set(changes) - known
    if unknown:
        raise InvalidData(f"cannot edit {', '.join(sorted(unknown))}")
    current = _as_input(account)
    moved = {"handle", "url", "platform"} & {k for k, v in changes.items() if v is not None}
    if moved:
        # A new handle, URL or platform replaces the identity: the old URL (or handle) is
        # kept only when it still describes the account.
        keep_url = "url" not in moved and not ({"handle", "platform"} & moved)
        current = replace(current,
                          handle=None if "url" in moved and "handle" not in moved
                          else current.handle,
                          url=current.url if keep_url else None)
    values = _clean(settings, replace(current, **{k: v for k, v in changes.items()
                                                  if v is not None}))
    clash = find_account(session, values["platform"], values["handle"])
    if clash is not None and clash.id != account.id:
        raise AlreadyExists(f"{values['handle']} on {values['platform']} is account {clash.id}")
    for key, value in values.items():
        setattr(account, key, value)
    account.updated_at = utcnow()
    session.flush()
    return account


def remove_account(session: Session, reference: str | int) -> Account:
    account = get_account(session, reference)
    session.delete(account)
    session.flush()
    return account


def _as_input(account: Account) -> AccountInput:
    return AccountInput(
        platform=Platform(account.platform), handle=account.handle, url=account.url,
        owner=account.owner, kind=AccountKind(account.kind), purpose=account.purpose,
        custodian=account.custodian, two_factor=account.two_factor, created=account.created,
        notes=account.notes)


def newest_snapshot_ids(*, answered: bool = False) -> Subquery:
    """(account_id, snapshot_id) of each account's newest snapshot, by check time then id.

    With `answered`, only checks the platform answered: a failed check (network down) says
    nothing about followers or the last post, so it must not hide what an earlier one learned.
    """
    rank = func.row_number().over(
        partition_by=col(AccountSnapshot.account_id),
        # The id breaks ties between two snapshots taken in the same instant.
        order_by=(col(AccountSnapshot.checked_at).desc(), col(AccountSnapshot.id).desc()),
    ).label("rank")
    ranked = select(col(AccountSnapshot.account_id).label("account_id"),
                    col(AccountSnapshot.id).label("snapshot_id"), rank)
    if answered:
        ranked = ranked.where(col(AccountSnapshot.status) == "ok")
    table = ranked.subquery()
    return select(table.c.account_id, table.c.snapshot_id).where(table.c.rank == 1).subquery()


def latest_snapshots(session: Session, *, answered: bool = False) -> dict[int, AccountSnapshot]:
    """The newest (answered) snapshot of every account that has one, by account id."""
    newest = newest_snapshot_ids(answered=answered)
    statement = select(AccountSnapshot).join(newest,
                                             newest.c.snapshot_id == col(AccountSnapshot.id))
    return {snapshot.account_id: snapshot for snapshot in session.scalars(statement)}


def is_dormant(last_post_at: datetime | None, now: datetime, settings: InventorySettings) -> bool:
    """True when the newest post is older than `dormant_after_days`; unknown is not dormant."""
    if last_post_at is None:
        return False
    return last_post_at < now - timedelta(days=settings.dormant_after_days)


def list_accounts(session: Session, *, platform: str | None = None, owner: str | None = None,
                  kind: str | None = None, department: str | None = None,
                  limit: int | None = None) -> list[dict[str, Any]]:
    """Accounts as plain rows (fast even for tens of thousands), with the last known post date."""
    accounts, snapshots = table_of(Account), table_of(AccountSnapshot)
    account, snapshot = accounts.c, snapshots.c
    newest = newest_snapshot_ids(answered=True)
    query = (
        select(account.id, account.platform, account.handle, account.owner, account.kind,
               account.custodian, account.two_factor, snapshot.last_post_at.label("last_post"),
               account.url)
        .select_from(accounts.outerjoin(newest, newest.c.account_id == account.id)
                     .outerjoin(snapshots, snapshot.id == newest.c.snapshot_id))
        .order_by(account.platform, account.handle)
    )
    if platform:
        query = query.where(account.platform == platform)
    if owner is not None:
        query = query.where(account.owner == owner)
    if kind:
        query = query.where(account.kind == kind)
    if department:
        members = select(col(Person.email)).where(col(Person.department) == department.lower())
        query = query.where(or_(account.owner == f"dept:{department.lower()}",
                                account.owner.in_(members)))
    if limit:
        query = query.limit(limit)
    result = session.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def export_accounts(session: Session, out: TextIO) -> int:
    """Every account as CSV in the import format, so the file imports back unchanged."""
    accounts = session.scalars(select(Account).order_by(col(Account.platform),
                                                        col(Account.handle))).all()
    write_csv([{c: getattr(a, c) for c in CSV_COLUMNS} for a in accounts], CSV_COLUMNS, out)
    return len(accounts)


def import_accounts(session: Session, settings: Settings, path: Path) -> ImportSummary:
    """Upsert accounts from CSV by platform and canonical handle; a bad row imports nothing."""
    rows = read_csv(path, aliases={"2fa": "two_factor", "two-factor": "two_factor"},
                    required=("platform",), known=CSV_COLUMNS)
    cleaned: dict[tuple[str, str], dict[str, Any]] = {}
    blank_kind: set[tuple[str, str]] = set()
    for row in rows:
        try:
            data = _row_input(row.get)
            values = _clean(settings, data)
        except FieldProblem as exc:
            raise row_error(path, row, exc.column, exc.problem, exc.hint) from None
        key = (values["platform"], values["handle"])
        if key in cleaned:
            raise row_error(path, row, "handle", f"{key[1]} on {key[0]} appears twice in the file")
        cleaned[key] = values
        if data.kind is None:
            blank_kind.add(key)
    # An update changes only the columns the file has: a short CSV never wipes other fields.
    columns = set(rows[0].values) if rows else set()
    given = {c for c in CSV_COLUMNS if c in columns} | {"platform", "handle"}
    if "handle" in columns or "url" in columns:
        given.add("url")
    created = updated = unchanged = 0
    for (platform, handle), values in cleaned.items():
        account = find_account(session, platform, handle)
        if account is None:
            session.add(Account(**values))
            created += 1
            continue
        changes = {k: v for k, v in values.items() if k in given}
        if (platform, handle) in blank_kind:
            changes.pop("kind", None)  # a blank kind keeps the account's kind
        if apply_changes(account, changes):
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportSummary(created, updated, unchanged)


def _row_input(get: Any) -> AccountInput:
    def field(column: str, parse: Any) -> Any:
        try:
            return parse(get(column))
        except (InvalidData, ValueError) as exc:
            message = exc.message if isinstance(exc, InvalidData) else str(exc)
            raise FieldProblem(column, message) from None

    def enum(kind: Any, name: str) -> Any:
        def parse(value: str) -> Any:
            if not value:
                return None
            try:
                return kind(value.lower())
            except ValueError:
                raise InvalidData(f"unknown {name} {value!r} (one of "
                                  f"{', '.join(k.value for k in kind)})") from None
        return parse

    platform = field("platform", enum(Platform, "platform"))
    if platform is None:
        raise FieldProblem("platform", "the platform is empty")
    return AccountInput(
        platform=platform, handle=get("handle"), url=get("url"),
        owner=get("owner"), kind=field("kind", enum(AccountKind, "kind")),
        purpose=get("purpose"), custodian=get("custodian"),
        two_factor=field("two_factor", parse_yes_no), created=field("created", parse_day),
        notes=get("notes"))


def describe_account(session: Session, reference: str | int) -> dict[str, Any]:
    """An account's fields and its newest check, for `inventory show`."""
    return account_record(session, get_account(session, reference))


def account_record(session: Session, account: Account) -> dict[str, Any]:
    """The fixed fields `show`, `add` and `edit` print: the account, its newest check, and
    the facts of its newest answered check."""
    def newest(*conditions: Any) -> AccountSnapshot | None:
        return session.scalars(select(AccountSnapshot)
                               .where(col(AccountSnapshot.account_id) == account.id, *conditions)
                               .order_by(col(AccountSnapshot.checked_at).desc(),
                                         col(AccountSnapshot.id).desc()).limit(1)).first()

    checked = newest()
    answered = newest(col(AccountSnapshot.status) == "ok")
    return {
        "id": account.id, **{c: getattr(account, c) for c in CSV_COLUMNS},
        "added_at": account.added_at, "updated_at": account.updated_at,
        "checked_at": checked.checked_at if checked else None,
        "check_status": checked.status if checked else None,
        "check_detail": checked.detail if checked else None,
        "followers": answered.followers if answered else None,
        "posts": answered.posts if answered else None,
        "last_post": answered.last_post_at if answered else None,
    }
