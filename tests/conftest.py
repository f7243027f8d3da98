"""Shared fixtures: a socket guard, a fresh migrated workspace per test, and a CLI runner."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smo_cli.cli._context import AppContext
from smo_cli.cli.app import app
from smo_cli.services.workspace import create_workspace

EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "examples" / "acme" / "smo.yaml"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return True
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, tuple) and not _is_local(address[0]):
        raise RuntimeError(f"test tried to reach {address[0]}: tests never leave 127.0.0.1")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_local(host if isinstance(host, str) else host.decode()):
        raise socket.gaierror(f"test tried to resolve {host}: tests never leave 127.0.0.1")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated workspace (the Acme example's smo.yaml) copied for every test."""
    root = tmp_path_factory.mktemp("template") / "ws"
    create_workspace(root, org="Acme", lang="en", env={})
    shutil.copy(EXAMPLE_CONFIG, root / "smo.yaml")
    return root


@pytest.fixture
def workspace(migrated_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(migrated_template, root)
    monkeypatch.setenv("SMO_WORKSPACE", str(root))
    monkeypatch.delenv("SMO_DATABASE_URL", raising=False)
    return root


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)


Run = Callable[..., Outcome]


@pytest.fixture
def run(workspace: Path, tmp_path: Path) -> Iterator[Run]:
    """Invoke `smo` in-process with an injected context, as a user in the workspace would."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None,
               cwd: Path | None = None) -> Outcome:
        environment = {"SMO_WORKSPACE": str(workspace), **(env or {})}
        context = AppContext(env=environment, cwd=cwd or tmp_path)
        result = runner.invoke(app, list(args), input=input, obj=context,
                               env={k: v for k, v in environment.items() if k.startswith("SMO_")})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    old_cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield invoke
    finally:
        os.chdir(old_cwd)


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the real user's smo data folder or workspace."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SMO_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMO_DATABASE_URL_FILE", raising=False)
