"""The `file` channel: writes `<key>.eml` (or `<key>.json` without recipients) into a folder.

For offline use and the demo. Writes are atomic and re-sending a key overwrites the same file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from smo_cli.delivery.base import DeliveryResult, Message, give_up, retry, safe_key, sent
from smo_cli.delivery.mime import build_email

DEFAULT_SENDER = "smo@localhost"


class FileChannel:
    kind = "file"

    def __init__(self, folder: Path, *, name: str = "files", sender: str = DEFAULT_SENDER) -> None:
        self.name = name
        self.folder = folder
        self.sender = sender

    def path_for(self, message: Message) -> Path:
        suffix = ".eml" if message.recipients else ".json"
        return self.folder / f"{safe_key(message.key)}{suffix}"

    def send(self, message: Message) -> DeliveryResult:
        target = self.path_for(message)
        if message.recipients:
            content = build_email(message, self.sender).as_bytes()
        else:
            document = {"key": message.key, "subject": message.subject, "text": message.text,
                        "html": message.html, "data": dict(message.data)}
            content = (json.dumps(document, ensure_ascii=False, indent=2, default=str)
                       + "\n").encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(target, content)
        except PermissionError as exc:
            return give_up(f"cannot write {target}: {exc.strerror}")
        except OSError as exc:
            return retry(f"cannot write {target}: {exc.strerror or exc}")
        return sent(str(target))


def _write_atomically(target: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
