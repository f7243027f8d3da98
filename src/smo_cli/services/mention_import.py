"""`smo mentions import`: exports of other tools (Brandwatch, Talkwalker, LinkedIn page exports)
into the same pipeline as fetched mentions — dedup, matching, language and sentiment."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smo_cli.errors import InvalidData, NotFound
from smo_cli.services import mentions, queries
from smo_cli.services.csv_files import read_csv
from smo_cli.sources.base import Item

FIELDS = ("text", "title", "url", "author", "published_at", "external_id", "lang", "hashtags")
# Column names other tools use, lower-cased, for the fields above.
COMMON_NAMES = {
    "full text": "text", "snippet": "text", "content": "text", "message": "text",
    "post text": "text", "body": "text", "tekst": "text",
    "link": "url", "permalink": "url", "post link": "url", "post url": "url",
    "author name": "author", "username": "author", "screen name": "author",
    "date": "published_at", "published": "published_at", "created date": "published_at",
    "created": "published_at", "datum": "published_at",
    "id": "external_id", "resource id": "external_id", "post id": "external_id",
    "language": "lang", "taal": "lang", "tags": "hashtags",
}


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """`--map "Full Text=text"` options as {column (lower-case): field}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or field.strip() not in FIELDS:
            raise InvalidData(f"--map {pair!r} is not COLUMN=FIELD",
                              hint=f"fields: {', '.join(FIELDS)}")
        mapping[column.strip().lower()] = field.strip()
    return mapping


def import_mentions(session: Session, path: Path, *, mapping: Mapping[str, str],
                    source_name: str | None = None, matching_only: bool = False,
                    timezone: str = "UTC", now: datetime | None = None) -> mentions.StoreOutcome:
    """Read every row first (a bad row imports nothing), then store like a listen run does.

    Dates without a zone are read in `timezone` (the company's: exports are in local time).
    """
    name = source_name or "import"
    items = list(_items(path, {**COMMON_NAMES, **mapping}, ZoneInfo(timezone)))
    compiled = queries.query_set(session)
    from smo_cli.services.listening import CLASSIFIER

    return mentions.store_items(session, items, source_id=None, source_name=name,
                                kind="import", keep_all=not matching_only,
                                match=queries.matcher_for(compiled, "import"),
                                classify=CLASSIFIER, now=now)


def _items(path: Path, aliases: Mapping[str, str], zone: ZoneInfo) -> Iterator[Item]:
    if not path.exists():
        raise NotFound(f"{path} does not exist")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from _jsonl(path, aliases, zone)
        return
    rows = read_csv(path, aliases=aliases, required=("text",),
                    known=(*FIELDS, *_ignored(path, aliases)))
    for row in rows:
        yield _item({k: row.get(k) for k in FIELDS}, f"{path}: line {row.line}", zone)


def _ignored(path: Path, aliases: Mapping[str, str]) -> list[str]:
    # Exports carry dozens of columns smo does not use (reach, sentiment of the other tool...):
    # those are fine to ignore; only the mapped ones must be right.
    header = path.read_text(encoding="utf-8-sig", errors="replace").split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = next(csv.reader(io.StringIO(header), delimiter=delimiter), [])
    return [aliases.get(n.strip().lower(), n.strip().lower()) for n in names]


def _jsonl(path: Path, aliases: Mapping[str, str], zone: ZoneInfo) -> Iterator[Item]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidData(f"{path}: line {number}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise InvalidData(f"{path}: line {number}: expected a JSON object")
        values = {aliases.get(k.lower(), k.lower()): v for k, v in raw.items()}
        yield _item({k: values.get(k) for k in FIELDS}, f"{path}: line {number}", zone)


def _item(values: Mapping[str, Any], where: str, zone: ZoneInfo) -> Item:
    text = str(values.get("text") or "").strip()
    if not text:
        raise InvalidData(f"{where}: the text is empty", hint="map the text column with "
                          "--map 'COLUMN=text'; nothing was imported")
    return Item(text=text, title=_str(values.get("title")), url=_str(values.get("url")),
                author=_str(values.get("author")), external_id=_str(values.get("external_id")),
                lang=_str(values.get("lang")),
                published_at=_date(values.get("published_at"), where, zone),
                hashtags=_tags(values.get("hashtags")))


def _str(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).lstrip("#") for v in value if str(v).strip())
    return tuple(t.lstrip("#") for t in str(value or "").replace(",", " ").split() if t)


def _date(value: Any, where: str, zone: ZoneInfo) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    for parse in (datetime.fromisoformat, _dutch_date):
        try:
            parsed = parse(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        local = parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
        return local.astimezone(UTC)
    raise InvalidData(f"{where}: {text!r} is not a date", hint="use ISO 8601, e.g. "
                      "2026-11-27T09:30:00Z; nothing was imported")


def _dutch_date(text: str) -> datetime:
    for pattern in ("%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(text)
