"""All tables, imported here so `SQLModel.metadata` is complete for migrations and tests."""

from smo_cli.db.models.inventory import (
    Account,
    AccountKind,
    AccountSnapshot,
    Platform,
    PresenceTarget,
    Requirement,
)
from smo_cli.db.models.org import Person

__all__ = [
    "Account",
    "AccountKind",
    "AccountSnapshot",
    "Person",
    "Platform",
    "PresenceTarget",
    "Requirement",
]
