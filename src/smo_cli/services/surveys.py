"""Awareness surveys (job 1): a questionnaire on knowledge, attitude and behaviour, responses
imported from a form export, and the awareness index they give.

The index of one response is the mean of its answered items on a 0-100 scale
((v - 1) / (scale - 1) * 100; reverse-worded items flipped first); a department's index and the
overall one are the mean of their respondents, and so is each dimension's. Over time, surveys
follow each other in the order they opened; the trend is the difference to the previous one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import fmean
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, func, select

from smo_cli.config import Workspace, describe_validation_error, read_yaml
from smo_cli.db.models import Person, Survey, SurveyResponse
from smo_cli.errors import AlreadyExists, InvalidData, NotFound
from smo_cli.services.csv_files import CsvRow, read_csv, row_error

DIMENSIONS = ("knowledge", "attitude", "behaviour")
ALL = "(all)"
FIXED_COLUMNS = ("respondent", "email", "department", "date")
RESPONSE_ALIASES = {"e-mail": "email", "mail": "email", "afdeling": "department",
                    "datum": "date", "submitted": "date", "submitted_on": "date",
                    "respondent_id": "respondent", "id": "respondent"}
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=QUESTION_ID.pattern)
    text: str = Field(min_length=1)
    dimension: Literal["knowledge", "attitude", "behaviour"]
    reverse: bool = False

    @field_validator("id")
    @classmethod
    def _not_a_column(cls, value: str) -> str:
        if value in FIXED_COLUMNS or value in RESPONSE_ALIASES:
            raise ValueError(f"{value!r} is a column of the responses file; pick another id")
        return value


class SurveyFile(BaseModel):
    """A questionnaire file: key, title, Likert scale and questions."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")
    title: str = Field(min_length=1, max_length=300)
    scale: int = Field(default=5, ge=2, le=11)
    opened_on: date | None = None
    questions: list[Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, questions: list[Question]) -> list[Question]:
        seen: set[str] = set()
        for question in questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} is used twice")
            seen.add(question.id)
        return questions


@dataclass(frozen=True)
class Item:
    """A stored question; each carries its scale, so one survey's items stay comparable."""

    id: str
    dimension: str
    reverse: bool
    scale: int

    def score(self, value: int) -> float:
        """The answer on 0-100, agreement always counting up."""
        if self.reverse:
            value = self.scale + 1 - value
        return (value - 1) / (self.scale - 1) * 100




def load_survey_file(path: Path) -> SurveyFile:
    try:
        return SurveyFile.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise InvalidData(describe_validation_error(path, exc)) from None


def new_survey(session: Session, path: Path, *, today: date) -> Survey:
    """Store a questionnaire as it is when it opens; its questions are fixed from then on."""
    spec = load_survey_file(path)
    if session.exec(select(Survey).where(col(Survey.key) == spec.key)).first() is not None:
        raise AlreadyExists(f"{path}: key: survey {spec.key!r} already exists",
                            hint="a new round of the survey needs a new key (e.g. ...-2027)")
    survey = Survey(key=spec.key, title=spec.title, opened_on=spec.opened_on or today,
                    questions=[{**q.model_dump(), "scale": spec.scale} for q in spec.questions])
    session.add(survey)
    session.flush()
    return survey


def get_survey(session: Session, key: str) -> Survey:
    found = session.exec(select(Survey).where(col(Survey.key) == key)).first()
    if found is None:
        raise NotFound(f"no survey {key!r}", hint="see `smo awareness survey list`")
    return found


def items_of(survey: Survey) -> list[Item]:
    return [Item(str(q["id"]), str(q["dimension"]), bool(q.get("reverse")), int(q["scale"]))
            for q in survey.questions]


@dataclass(frozen=True)
class ImportSummary:
    imported: int
    already: int                   # the same respondent with the same answers was on record

    def __str__(self) -> str:
        return f"{self.imported} imported, {self.already} already on record"


def import_responses(session: Session, workspace: Workspace, key: str, path: Path, *,
                     today: date) -> ImportSummary:
    """Responses from a CSV export: respondent (an anonymous id) or email, department
    (optional for people in the people list), date and one column per question id. Any bad
    row stops the import before anything is stored."""
    from smo_cli.services.policy_acks import parse_day

    survey = get_survey(session, key)
    items = items_of(survey)
    rows = read_csv(path, aliases=RESPONSE_ALIASES, required=("date",),
                    known=(*FIXED_COLUMNS, *(i.id for i in items)))
    columns = set().union(*(row.values for row in rows))
    if rows and not columns & {"respondent", "email"}:
        raise InvalidData(f"{path}: line 1: missing column respondent or email",
                          hint="name each respondent by e-mail address or by an anonymous id")
    people = dict(session.exec(select(Person.email, Person.department)).all())
    stored = {r.respondent: r for r in session.exec(select(SurveyResponse).where(
        col(SurveyResponse.survey_id) == survey.id))}
    seen: dict[str, int] = {}
    fresh: list[SurveyResponse] = []
    already = 0
    for row in rows:
        who, column = _respondent(path, row)
        if who in seen:
            raise row_error(path, row, column, f"duplicate respondent {who} (also on line "
                            f"{seen[who]})")
        seen[who] = row.line
        department = _department(path, row, workspace, people, who)
        day = parse_day(row.get("date"))
        if day is None:
            raise row_error(path, row, "date", f"{row.get('date') or '(empty)'!r} is not a date",
                            hint="use 2026-11-27 or 27-11-2026")
        if day > today:
            raise row_error(path, row, "date", f"{day.isoformat()} is in the future")
        answers = {item.id: _answer(path, row, item) for item in items}
        answers = {k: v for k, v in answers.items() if v is not None}
        if not answers:
            raise row_error(path, row, f"{items[0].id}…{items[-1].id}", "no question answered")
        before = stored.get(who)
        if before is not None:
            if before.answers == answers and before.department == department:
                already += 1
                continue
            raise row_error(path, row, column, f"respondent {who} answered this survey before, "
                            "differently", hint="import only new responses")
        fresh.append(SurveyResponse(survey_id=survey.id or 0, respondent=who,
                                    department=department, submitted_on=day, answers=answers))
    session.add_all(fresh)
    session.flush()
    return ImportSummary(len(fresh), already)


def _respondent(path: Path, row: CsvRow) -> tuple[str, str]:
    """Who answered, and the column that said so: an address (from email, or a respondent
    value that is one) in lower case, else the anonymous id as given."""
    email = row.get("email").lower()
    if email:
        return email, "email"
    anonymous = row.get("respondent")
    if anonymous:
        return anonymous.lower() if "@" in anonymous else anonymous, "respondent"
    raise row_error(path, row, "respondent", "no respondent or e-mail address")


def _department(path: Path, row: CsvRow, workspace: Workspace, people: dict[str, str | None],
                who: str) -> str | None:
    given = row.get("department").lower()
    if given:
        if workspace.settings.department(given) is None:
            known = ", ".join(d.key for d in workspace.settings.departments) or "none"
            raise row_error(path, row, "department", f"unknown department {given!r}",
                            hint=f"departments: {known}")
        return given
    if "@" not in who:
        raise row_error(path, row, "department", "an anonymous response needs a department")
    if who not in people:
        raise row_error(path, row, "department", f"{who} is not in the people list, so the "
                        "department cannot be looked up", hint="fill in the department column")
    return people[who]


def _answer(path: Path, row: CsvRow, item: Item) -> int | None:
    raw = row.get(item.id)
    if not raw:
        return None
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        raise row_error(path, row, item.id, f"{raw!r} is not a number",
                        hint=f"answers are 1 to {item.scale}, or empty") from None
    if not number.is_integer() or not 1 <= number <= item.scale:
        raise row_error(path, row, item.id, f"{raw} is out of range 1 to {item.scale}")
    return int(number)


# --- the index ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scores:
    """Means over respondents on 0-100 (None where nobody answered)."""

    respondents: int
    index: float | None
    dimensions: dict[str, float | None]


def response_scores(items: Sequence[Item], answers: dict[str, Any]) -> dict[str, float | None]:
    """One response: its index (all answered items) and the mean per dimension."""
    by_dimension: dict[str, list[float]] = defaultdict(list)
    for item in items:
        value = answers.get(item.id)
        if value is not None:
            by_dimension[item.dimension].append(item.score(int(value)))
    answered = [s for scores in by_dimension.values() for s in scores]
    result: dict[str, float | None] = {"index": fmean(answered) if answered else None}
    for dimension in DIMENSIONS:
        found = by_dimension.get(dimension)
        result[dimension] = fmean(found) if found else None
    return result


def aggregate(per_response: Iterable[dict[str, float | None]]) -> Scores:
    rows = list(per_response)

    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return fmean(v for v in values if v is not None) if values else None

    return Scores(len(rows), mean("index"), {d: mean(d) for d in DIMENSIONS})


def survey_scores(session: Session, survey: Survey) -> dict[str, Scores]:
    """Per department (as answered at the time) and ALL for everyone."""
    items = items_of(survey)
    groups: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    for response in session.exec(select(SurveyResponse).where(
            col(SurveyResponse.survey_id) == survey.id)):
        scores = response_scores(items, response.answers)
        groups[response.department or ""].append(scores)
        groups[ALL].append(scores)
    return {group: aggregate(rows) for group, rows in groups.items()}


def surveys_in_order(session: Session) -> list[Survey]:
    return list(session.exec(select(Survey).order_by(col(Survey.opened_on),
                                                     col(Survey.id))).all())


def history(session: Session) -> list[tuple[Survey, dict[str, Scores]]]:
    """Every survey in the order they opened, with its scores."""
    return [(s, survey_scores(session, s)) for s in surveys_in_order(session)]


def latest_with_trend(timeline: Sequence[tuple[Survey, dict[str, Scores]]], group: str,
                      until: int | None = None) -> tuple[float | None, float | None]:
    """A group's index in the latest survey it answered (up to position `until`), and the
    difference to the survey it answered before that."""
    indexes: list[float] = []
    for _, scores in timeline[:until]:
        found = scores[group].index if group in scores else None
        if found is not None:
            indexes.append(found)
    if not indexes:
        return None, None
    return indexes[-1], (indexes[-1] - indexes[-2] if len(indexes) > 1 else None)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def survey_results(session: Session, key: str) -> list[dict[str, Any]]:
    """One row per department and one for everyone: respondents, index, each dimension, and
    the trend against the department's previous survey."""
    survey = get_survey(session, key)
    timeline = history(session)
    position = next(i for i, (s, _) in enumerate(timeline) if s.id == survey.id)
    scores = timeline[position][1]
    rows = []
    for group in sorted(g for g in scores if g != ALL) + ([ALL] if ALL in scores else []):
        current = scores[group]
        _, trend = latest_with_trend(timeline, group, position + 1)
        rows.append({"department": group, "respondents": current.respondents,
                     "index": _rounded(current.index),
                     **{d: _rounded(current.dimensions[d]) for d in DIMENSIONS},
                     "trend": _rounded(trend)})
    return rows


def list_surveys(session: Session) -> list[dict[str, Any]]:
    """Every survey in the order they opened: the index over time and its trend."""
    timeline = history(session)
    counts = dict(session.exec(select(SurveyResponse.survey_id, func.count())
                               .group_by(col(SurveyResponse.survey_id))).all())
    rows = []
    for position, (survey, scores) in enumerate(timeline):
        overall = scores.get(ALL)
        _, trend = latest_with_trend(timeline, ALL, position + 1) if overall else (None, None)
        rows.append({"key": survey.key, "title": survey.title, "opened_on": survey.opened_on,
                     "questions": len(survey.questions), "responses": counts.get(survey.id or 0, 0),
                     "index": _rounded(overall.index if overall else None),
                     "trend": _rounded(trend)})
    return rows
