"""What lint reports and what parse raises: a problem at a column, with a hint how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smo_cli.errors import InvalidData

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class LintProblem:
    column: int  # 1-based, in characters of the query text
    message: str
    hint: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"column {self.column}: {self.severity}: {self.message} ({self.hint})"

    def to_error(self) -> InvalidData:
        return InvalidData(f"column {self.column}: {self.message}", hint=self.hint)


class Abort(Exception):
    """Parsing cannot go on after this problem (the parser records it before raising)."""


def first_error(problems: list[LintProblem]) -> LintProblem | None:
    errors = [p for p in problems if p.severity == "error"]
    return min(errors, key=lambda p: p.column) if errors else None
