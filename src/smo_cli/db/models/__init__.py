"""All tables, imported here so `SQLModel.metadata` is complete for migrations and tests."""

from typing import cast

from sqlalchemy import Table
from sqlmodel import SQLModel

from smo_cli.db.models.inventory import (
    Account,
    AccountKind,
    AccountSnapshot,
    Platform,
    PresenceTarget,
    Requirement,
)
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

__all__ = [
    "Account",
    "AccountKind",
    "AccountSnapshot",
    "ListenRun",
    "ListenRunSource",
    "Mention",
    "MentionQuery",
    "Person",
    "Platform",
    "PresenceTarget",
    "Requirement",
    "SavedQuery",
    "Source",
    "Tombstone",
]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for fast column-level queries (typed for mypy)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
