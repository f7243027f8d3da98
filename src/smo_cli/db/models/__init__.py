"""The tables, one module per job; `load_all()` registers every one on `SQLModel.metadata`.

Names are imported lazily (`from smo_cli.db.models import Account` loads only the inventory
module): building SQLModel classes is a noticeable part of a command's start-up, and
`smo inventory list` has no use for the listening tables.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlmodel import SQLModel

if TYPE_CHECKING:
    from smo_cli.db.models.documents import PolicyAck, PolicyVersion
    from smo_cli.db.models.engage import (
        LearningGoal,
        Post,
        PostDelivery,
        PostStats,
        PracticeEntry,
    )
    from smo_cli.db.models.inventory import (
        Account,
        AccountKind,
        AccountSnapshot,
        Platform,
        PresenceTarget,
        Requirement,
    )
    from smo_cli.db.models.kpi import CostEntry, KpiRecord, ValueEntry
    from smo_cli.db.models.listening import (
        ListenRun,
        ListenRunSource,
        Mention,
        MentionQuery,
        SavedQuery,
        Source,
        Tombstone,
    )
    from smo_cli.db.models.org import Person
    from smo_cli.db.models.programme import (
        AwarenessCampaign,
        CampaignDelivery,
        Survey,
        SurveyResponse,
        TrainingCompletion,
        TrainingInvite,
        TrainingSession,
    )
    from smo_cli.db.models.routing import Assignment, AssignmentEvent, OutboxMessage

_HOME = {
    **dict.fromkeys(("Account", "AccountKind", "AccountSnapshot", "Platform", "PresenceTarget",
                     "Requirement"), "inventory"),
    **dict.fromkeys(("ListenRun", "ListenRunSource", "Mention", "MentionQuery", "SavedQuery",
                     "Source", "Tombstone"), "listening"),
    "Person": "org",
    **dict.fromkeys(("CostEntry", "KpiRecord", "ValueEntry"), "kpi"),
    **dict.fromkeys(("Assignment", "AssignmentEvent", "OutboxMessage"), "routing"),
    **dict.fromkeys(("PolicyAck", "PolicyVersion"), "documents"),
    **dict.fromkeys(("LearningGoal", "Post", "PostDelivery", "PostStats", "PracticeEntry"),
                    "engage"),
    **dict.fromkeys(("AwarenessCampaign", "CampaignDelivery", "Survey", "SurveyResponse",
                     "TrainingCompletion", "TrainingInvite", "TrainingSession"), "programme"),
}

__all__ = [
    "Account",
    "AccountKind",
    "AccountSnapshot",
    "Assignment",
    "AssignmentEvent",
    "AwarenessCampaign",
    "CampaignDelivery",
    "CostEntry",
    "KpiRecord",
    "LearningGoal",
    "ListenRun",
    "ListenRunSource",
    "Mention",
    "MentionQuery",
    "OutboxMessage",
    "Person",
    "Platform",
    "PolicyAck",
    "PolicyVersion",
    "Post",
    "PostDelivery",
    "PostStats",
    "PracticeEntry",
    "PresenceTarget",
    "Requirement",
    "SavedQuery",
    "Source",
    "Survey",
    "SurveyResponse",
    "Tombstone",
    "TrainingCompletion",
    "TrainingInvite",
    "TrainingSession",
    "ValueEntry",
    "load_all",
    "table_of",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


def load_all() -> None:
    """Import every table module, so the metadata is complete (migrations, schema checks)."""
    for module in sorted(set(_HOME.values())):
        importlib.import_module(f"{__name__}.{module}")


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for fast column-level queries (typed for mypy)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
