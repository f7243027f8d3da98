"""Programme figures at the end of a period: who acknowledged the policy, who is trained, and
the awareness survey's index.

The people list has no history, so every share is of the people on the list now (of one
department with --dept); acknowledgements and completions count up to the end of the period,
which makes last quarter's figure the one it was then for the people here today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlmodel import Session, col

from smo_cli.config import Workspace
from smo_cli.db.models import Person, PolicyAck, PolicyVersion, Survey, TrainingCompletion
from smo_cli.services.metrics import end_of_day
from smo_cli.services.surveys import ALL, survey_scores
from smo_cli.services.training import load_courses, standing


@dataclass(frozen=True)
class Share:
    """`part` of `whole`, with what was measured (a version, a survey) in `about`."""

    part: int
    whole: int
    about: str | None = None

    @property
    def percent(self) -> float | None:
        return self.part / self.whole * 100 if self.whole else None


def _people(department: str | None) -> list[ColumnElement[bool]]:
    return [] if department is None else [col(Person.department) == department]


def policy_acknowledged(session: Session, workspace: Workspace, end: date, *,
                        department: str | None = None) -> Share | None:
    """People who acknowledged, by `end`, the version current on `end` (or a later one), as
    in `smo policy status`; None when no version had been published by then."""
    lang = workspace.settings.language        # the language `smo policy status` reports on
    number = session.execute(select(func.max(col(PolicyVersion.number))).where(
        col(PolicyVersion.lang) == lang,
        col(PolicyVersion.published_at) < end_of_day(end, workspace.settings.business_hours
                                                      .timezone))).scalar()
    if number is None:
        return None
    acknowledged = exists().where(col(PolicyAck.email) == col(Person.email),
                                  col(PolicyAck.lang) == lang,
                                  col(PolicyAck.version) >= number,
                                  col(PolicyAck.acknowledged_on) <= end)
    whole, part = session.execute(select(
        func.count(), func.coalesce(func.sum(case((acknowledged, 1), else_=0)), 0))
        .select_from(Person).where(*_people(department))).one()
    return Share(int(part), int(whole), f"version {number} ({lang})")


def training_coverage(session: Session, workspace: Workspace, end: date, *,
                      department: str | None = None) -> Share | None:
    """People with a valid completion of a course in training.yaml on `end` (what
    `training.trained_people` gives for today); None without training.yaml."""
    courses = {c.key: c for c in load_courses(workspace)}
    if not courses:
        return None
    latest = session.execute(
        select(col(TrainingCompletion.course), func.lower(col(TrainingCompletion.email)),
               func.max(col(TrainingCompletion.completed_on)))
        .where(col(TrainingCompletion.completed_on) <= end,
               col(TrainingCompletion.course).in_(courses))
        .group_by(col(TrainingCompletion.course), func.lower(col(TrainingCompletion.email)))
    ).all()
    trained = {email for key, email, day in latest
               if standing(courses[key], _day(day), end).state == "valid"}
    people = set(session.execute(select(col(Person.email)).where(
        *_people(department))).scalars())
    return Share(len(trained & people), len(people))


def awareness(session: Session, end: date, *,
              department: str | None = None) -> tuple[float | None, str | None, int]:
    """(index, survey key, respondents) of the latest survey opened by `end`."""
    survey = session.execute(select(Survey).where(col(Survey.opened_on) <= end)
                             .order_by(col(Survey.opened_on).desc(), col(Survey.id).desc())
                             .limit(1)).scalar()
    if survey is None:
        return None, None, 0
    scores = survey_scores(session, survey).get(department or ALL)
    if scores is None:
        return None, survey.key, 0
    return scores.index, survey.key, scores.respondents


def _day(value: object) -> date:
    # MAX() over a date column comes back as text on SQLite.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
