"""Markdown for untrusted text: an escaper and tables (no Jinja, so cheap to import)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Characters that mean something anywhere in a line, and those that do only at its start.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^([#+\-=>]|\d+(?=[.)]))")


def md_escape(value: Any) -> str:
    """Escape text so Markdown shows it literally, on one line (safe inside table cells)."""
    if value is None:
        return ""
    text = _INLINE.sub(r"\\\1", " ".join(str(value).split()))
    # "1." would start a list: the backslash goes before the dot, after the digits.
    return _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit()
                           else "\\" + m.group(1), text)


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                   headers: Mapping[str, str] | None = None) -> str:
    headers = headers or {}
    lines = ["| " + " | ".join(md_escape(headers.get(c, c.replace("_", " "))) for c in columns)
             + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(md_escape(_text(row.get(c))) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
