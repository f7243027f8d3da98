"""`build_channel`: a channel from its smo.yaml entry and the environment.

Secrets never come from the config: SMTP login and webhook URLs and signing secrets are named by
environment variable. Errors name the channel, the key or the variable, never a secret's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from smo_cli.delivery.base import Channel
from smo_cli.delivery.file import DEFAULT_SENDER, FileChannel
from smo_cli.delivery.smtp import SECURITY_MODES, Security, SmtpChannel
from smo_cli.delivery.webhook import Flavour, WebhookChannel
from smo_cli.errors import InvalidData

DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}


def _required(config: Mapping[str, Any], key: str, name: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidData(f"channel {name}: {key!r} is required")
    return value.strip()


def _smtp(config: Mapping[str, Any], name: str, env: Mapping[str, str], _root: Path) -> Channel:
    security = config.get("security", "starttls")
    if security not in SECURITY_MODES:
        raise InvalidData(f"channel {name}: unknown security {security!r}",
                          hint=f"use one of {', '.join(SECURITY_MODES)}")
    port = config.get("port", DEFAULT_PORTS[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise InvalidData(f"channel {name}: port must be a number from 1 to 65535")
    return SmtpChannel(_required(config, "host", name), port, cast(Security, security),
                       _required(config, "from", name), env, name=name)


def _file(config: Mapping[str, Any], name: str, _env: Mapping[str, str], root: Path) -> Channel:
    folder = Path(_required(config, "folder", name))
    sender = config.get("from") or DEFAULT_SENDER
    return FileChannel(folder if folder.is_absolute() else root / folder, name=name,
                       sender=str(sender))


def _webhook(flavour: Flavour) -> Callable[[Mapping[str, Any], str, Mapping[str, str], Path],
                                           Channel]:
    def build(config: Mapping[str, Any], name: str, env: Mapping[str, str], _root: Path
              ) -> Channel:
        if "url" in config:
            raise InvalidData(f"channel {name}: a webhook URL is a secret",
                              hint="put it in an environment variable and name it in url_env")
        secret_env = config.get("secret_env")
        if secret_env is not None and flavour != "generic":
            raise InvalidData(f"channel {name}: secret_env is only for kind webhook")
        return WebhookChannel(_required(config, "url_env", name), env, flavour,
                              str(secret_env) if secret_env else None, name=name)
    return build


BUILDERS: dict[str, Callable[[Mapping[str, Any], str, Mapping[str, str], Path], Channel]] = {
    "file": _file,
    "smtp": _smtp,
    "webhook": _webhook("generic"),
    "slack": _webhook("slack"),
    "teams": _webhook("teams"),
    "mattermost": _webhook("mattermost"),
}
KINDS = tuple(BUILDERS)


def build_channel(config: Mapping[str, Any], env: Mapping[str, str], workspace_root: Path
                  ) -> Channel:
    name = str(config.get("name") or config.get("kind") or "?")
    kind = config.get("kind")
    builder = BUILDERS.get(kind) if isinstance(kind, str) else None
    if builder is None:
        raise InvalidData(f"channel {name}: unknown kind {kind!r}",
                          hint=f"known kinds: {', '.join(KINDS)}")
    return builder(config, name, env, workspace_root)
