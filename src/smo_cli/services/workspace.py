"""Creating a workspace: a commented smo.yaml in the chosen language and a migrated database."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from smo_cli.config import CONFIG_FILE, Workspace, load_workspace
from smo_cli.db.engine import make_engine
from smo_cli.db.migrate import ensure_schema
from smo_cli.errors import AlreadyExists, InvalidData
from smo_cli.render.documents import render

LANGUAGES = ("nl", "en")


def create_workspace(root: Path, *, org: str, lang: str, env: Mapping[str, str],
                     force: bool = False) -> Workspace:
    """Write smo.yaml (unless present), create the database and apply every migration."""
    org = org.strip()
    lang = lang.strip().lower()
    if not org:
        raise InvalidData("the organisation name is empty", hint="pass --org NAME")
    if lang not in LANGUAGES:
        raise InvalidData(f"unknown language {lang!r}", hint="use nl or en")
    config_path = root / CONFIG_FILE
    if config_path.exists() and not force:
        raise AlreadyExists(f"{config_path} already exists",
                            hint="use --force to overwrite it, or pick another folder")
    root.mkdir(parents=True, exist_ok=True)
    text = render(f"{lang}/smo.yaml.j2", {"org": org, "lang": lang})
    config_path.write_text(text, encoding="utf-8")
    workspace = load_workspace(root.resolve(), env)
    engine = make_engine(workspace.database_url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()
    return workspace
