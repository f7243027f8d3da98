"""The per-invocation context: workspace, database and flags; built lazily, injectable in tests."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from smo_cli.config import Workspace


@dataclass
class AppContext:
    workspace_option: Path | None = None
    debug: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    _workspace: Workspace | None = None
    _engine: Engine | None = None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            from smo_cli.config import find_workspace_root, load_workspace

            root = find_workspace_root(self.workspace_option, self.env, self.cwd)
            self._workspace = load_workspace(root, self.env)
        return self._workspace

    def engine(self) -> Engine:
        """The database engine, migrated to the newest schema on first use."""
        if self._engine is None:
            from smo_cli.db.engine import make_engine
            from smo_cli.db.migrate import ensure_schema

            engine = make_engine(self.workspace().database_url)
            ensure_schema(engine)
            self._engine = engine
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        from smo_cli.db.engine import transaction

        with transaction(self.engine()) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        from smo_cli.db.engine import reading

        with reading(self.engine()) as session:
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def get_app(ctx: typer.Context) -> AppContext:
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
    return root.obj
