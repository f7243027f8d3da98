"""Reading and writing the CSV files officers exchange with HR and spreadsheets.

Accepts Excel's UTF-8 BOM and both `,` and `;` separators (Dutch Excel writes `;`). Rows keep their
line number so an error can say where it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smo_cli.db.types import utcnow
from smo_cli.errors import InvalidData, NotFound
from smo_cli.render.output import FORMULA


def _unprotect(value: str) -> str:
    """Undo `spreadsheet_safe`, so an exported file imports back unchanged."""
    return value[1:] if value.startswith("'") and FORMULA.match(value[1:]) else value


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


def read_csv(path: Path, *, aliases: Mapping[str, str], required: Sequence[str],
             known: Sequence[str]) -> list[CsvRow]:
    """Rows keyed by canonical column names; `aliases` maps lower-case header spellings to them.

    An unknown column is an error: since imports update only the columns a file has, a
    misspelt header would otherwise change nothing without anyone noticing.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise InvalidData(f"{path}: not UTF-8 text", hint="save the file as CSV UTF-8") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidData(f"{path}: the file is empty") from None
    columns = [aliases.get(h.strip().lower(), h.strip().lower()) for h in header]
    unknown = [h.strip() for h, c in zip(header, columns, strict=True) if c not in known]
    if unknown:
        raise InvalidData(f"{path}: line 1: unknown column {', '.join(unknown)}",
                          hint=f"the columns are {', '.join(known)}")
    missing = [c for c in required if c not in columns]
    if missing:
        raise InvalidData(f"{path}: line 1: missing column {', '.join(missing)}",
                          hint=f"the header needs {', '.join(required)}")
    rows: list[CsvRow] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(columns):
            raise InvalidData(f"{path}: line {reader.line_num}: {len(values)} fields but the "
                              f"header has {len(columns)}")
        rows.append(CsvRow(reader.line_num, dict(zip(columns, map(_unprotect, values),
                                                     strict=False))))
    return rows


@dataclass(frozen=True)
class ImportSummary:
    """What an upsert from a file did, by row."""

    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def apply_changes(record: Any, changes: Mapping[str, Any]) -> bool:
    """Set the fields that differ and stamp `updated_at`; False when nothing differed."""
    if all(getattr(record, k) == v for k, v in changes.items()):
        return False
    for key, value in changes.items():
        setattr(record, key, value)
    record.updated_at = utcnow()
    return True


class FieldProblem(InvalidData):
    """A bad value in one named field, so a CSV import can say line and column."""

    def __init__(self, column: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{column}: {message}", hint=hint)
        self.column = column
        self.problem = message


def row_error(path: Path, row: CsvRow, column: str, problem: str,
              hint: str | None = None) -> InvalidData:
    advice = "nothing was imported; fix the row and run again"
    return InvalidData(f"{path}: line {row.line}, column {column}: {problem}",
                       hint=f"{hint}; {advice}" if hint else advice)
