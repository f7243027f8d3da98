"""The effective configuration of a workspace, as shown to the officer."""

from __future__ import annotations

from typing import Any

from smo_cli.config import Workspace, redact


def effective_config(workspace: Workspace) -> dict[str, Any]:
    """smo.yaml with every default filled in, plus where it came from; secrets redacted."""
    settings = workspace.settings.model_dump(mode="json")
    settings["database_url"] = workspace.database_url
    settings["workspace"] = str(workspace.root)
    result = redact(settings)
    assert isinstance(result, dict)
    return result
