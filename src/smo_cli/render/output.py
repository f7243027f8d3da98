"""Turn result records into a table, JSON or CSV on stdout; diagnostics go to stderr.

Rich is imported only when a table is actually drawn, so JSON and CSV output stay fast.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, TextIO

from smo_cli.errors import UsageError

Record = Mapping[str, Any]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def as_record(item: Any) -> dict[str, Any]:
    """A plain dict of a pydantic model, SQLModel row, dataclass or mapping."""
    if type(item) is dict:
        return item
    if isinstance(item, Mapping):
        return dict(item)
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        return dict(dump())
    raise TypeError(f"cannot render {type(item).__name__}")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _json_default(value: Any) -> Any:
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return plain


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def _json_array(records: Sequence[Record], keys: Sequence[str]) -> str:
    """One compact JSON array: no indent keeps the C encoder, which matters at 10,000 rows."""
    if records and list(records[0]) != list(keys):
        records = [{k: r.get(k) for k in keys} for r in records]
    return json.dumps(records, ensure_ascii=False, default=_json_default)


def emit_rows(
    rows: Iterable[Any],
    *,
    fmt: OutputFormat,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    empty: str = "Nothing to show.",
    out: TextIO | None = None,
) -> None:
    """Print a list: a table for people, a JSON array or CSV with a header for scripts."""
    out = out or sys.stdout
    records = [as_record(r) for r in rows]
    keys = list(columns) if columns else (list(records[0]) if records else [])
    if fmt is OutputFormat.json:
        out.write(_json_array(records, keys) + "\n")
    elif fmt is OutputFormat.csv:
        write_csv(records, keys, out)
    elif not records:
        out.write(empty + "\n")
    else:
        _print_table(records, keys, title, out)


def emit_one(
    item: Any, *, fmt: OutputFormat, message: str | None = None, out: TextIO | None = None
) -> None:
    """Print one record: its fields (or a confirmation message) as text, or JSON / one CSV row."""
    out = out or sys.stdout
    record = as_record(item)
    if fmt is OutputFormat.json:
        out.write(to_json(record) + "\n")
    elif fmt is OutputFormat.csv:
        write_csv([record], list(record), out)
    elif message is not None:
        out.write(message + "\n")
    else:
        width = max((len(k) for k in record), default=0)
        for key, value in record.items():
            out.write(f"{key.replace('_', ' '):<{width}}  {_cell(value)}\n")


# A cell a spreadsheet would run as a formula: =..., or +/-/@ with a function call or reference.
FORMULA = re.compile(r"^(=|[+\-@].*[(!])")


def spreadsheet_safe(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula (=HYPERLINK(...), @SUM(...)).

    Such a cell gets a leading apostrophe, which spreadsheets hide and smo's CSV reader removes,
    so exports still import back unchanged; handles (@acme) and phone numbers stay as they are.
    """
    return "'" + value if FORMULA.match(value) else value


def write_csv(records: Sequence[Record], keys: Sequence[str], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for record in records:
        writer.writerow([spreadsheet_safe(_cell(record.get(k))) for k in keys])


def _print_table(records: Sequence[Record], keys: Sequence[str], title: str | None,
                 out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=None if out.isatty() else 200, highlight=False)
    table = Table(title=title, header_style="bold", show_lines=False)
    for key in keys:
        table.add_column(key.replace("_", " "), overflow="fold")
    for record in records:
        table.add_row(*(_escape_markup(_cell(record.get(k))) for k in keys))
    console.print(table)


def _escape_markup(text: str) -> str:
    # Text from the database (names, notes, fetched profiles) must never be read as Rich markup.
    from rich.markup import escape

    return escape(text)


SPARK_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], *, from_zero: bool = True) -> str:
    """A trend in one line of text, one bar per value, `·` where there is none.

    `from_zero` (counts: posts per week) scales to the largest value, zero being the lowest bar
    and anything above zero at least the second, so one post never looks like none. Otherwise
    (rates, points, which may be negative) the bars span the lowest to the highest value, and a
    flat line sits in the middle.
    """
    known = [v for v in values if v is not None and math.isfinite(v)]
    steps = len(SPARK_BARS) - 1
    low, high = (0.0, max(known, default=0.0)) if from_zero else (
        min(known, default=0.0), max(known, default=0.0))

    def bar(value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return "·"
        if from_zero:
            if value <= 0 or high <= 0:
                return SPARK_BARS[0]
            return SPARK_BARS[max(1, math.ceil(value * steps / high - 1e-9))]
        if high == low:
            return SPARK_BARS[3]
        return SPARK_BARS[round((value - low) / (high - low) * steps)]

    return "".join(bar(v) for v in values)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 account`, `2 accounts`."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def say(text: str) -> None:
    """A result line for people (stdout)."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """A diagnostic line (stderr): progress, warnings, summaries that scripts must not parse."""
    sys.stderr.write(text + "\n")


def error(text: str, hint: str | None = None) -> None:
    """One line on stderr, whatever the message holds (driver errors span several lines)."""
    line = "error: " + " ".join(text.split())
    if hint:
        line += " — " + " ".join(hint.split())
    if sys.stderr.isatty():
        line = f"\x1b[31m{line}\x1b[0m"
    sys.stderr.write(line + "\n")


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise (cron, pipes, tests).

    `total=None` counts up without knowing the end.
    """
    if not sys.stderr.isatty() or (total is not None and total <= 1):
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=_stderr_console(), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def output_file(path: Path) -> Iterator[TextIO]:
    """Open a file the user named with --out; a bad path is their error, not a bug."""
    try:
        stream = path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    with stream:
        yield stream


def write_file(path: Path, content: str | bytes) -> None:
    """Write a document the user asked for with --out (text as UTF-8, or bytes such as a PDF)."""
    if isinstance(content, str):
        with output_file(path) as stream:
            stream.write(content)
        return
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


DOCUMENT_FORMATS = ("md", "html", "pdf")


def document_format(fmt: str | None, out: Path | None) -> str:
    """--format, else the --out file's suffix, else Markdown. PDF goes to a file only."""
    chosen = (fmt or {".html": "html", ".htm": "html", ".pdf": "pdf"}.get(
        out.suffix.lower() if out else "", "md")).lower()
    if chosen not in DOCUMENT_FORMATS:
        raise UsageError(f"unknown format {chosen!r}", hint="use md, html or pdf")
    if chosen == "pdf" and out is None:
        raise UsageError("a PDF needs a file", hint="add --out FILE.pdf")
    return chosen
