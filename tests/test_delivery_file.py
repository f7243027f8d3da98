"""File channel, the channel factory and the message templates (escaping of untrusted text)."""

from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from smo_cli.delivery import FileChannel, Message, SmtpChannel, WebhookChannel, build_channel
from smo_cli.errors import InvalidData
from smo_cli.render.documents import render


def _message(**changes: Any) -> Message:
    values: dict[str, Any] = {"key": "outbox-1", "recipients": ("hr@acme.nl", "ceo@acme.nl"),
                              "subject": "Sollicitatie van Zoë", "text": "Één vraag",
                              "html": "<p>Één vraag</p>", "data": {"title": "t"}}
    values.update(changes)
    return Message(**values)


def test_eml_parses_back(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "outbox")
    assert channel.send(_message()).ok
    assert channel.send(_message(text="Twee vragen")).ok     # same key: overwritten
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == ["outbox-1.eml"]
    parsed = email.message_from_bytes((tmp_path / "outbox" / "outbox-1.eml").read_bytes(),
                                      policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Sollicitatie van Zoë"
    assert parsed["To"] == "hr@acme.nl, ceo@acme.nl"
    assert parsed["Message-ID"] == "<outbox-1@smo>"
    body = parsed.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "Twee vragen"


def test_json_without_recipients_and_a_hostile_key(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path)
    assert channel.send(_message(key="../../etc/passwd", recipients=())).ok
    [written] = list(tmp_path.iterdir())
    assert written.name == "_.._etc_passwd.json"
    assert json.loads(written.read_text("utf-8"))["subject"] == "Sollicitatie van Zoë"


def test_factory_builds_each_kind(tmp_path: Path) -> None:
    env = {"SMO_SLACK_SALES_URL": "https://hooks.slack.invalid/T/B/X", "SMO_SIG": "k"}
    files = build_channel({"name": "files", "kind": "file", "folder": "outbox"}, env, tmp_path)
    assert isinstance(files, FileChannel) and files.folder == tmp_path / "outbox"
    mail = build_channel({"name": "mail", "kind": "smtp", "host": "smtp.acme.nl",
                          "from": "smo@acme.nl"}, env, tmp_path)
    assert isinstance(mail, SmtpChannel) and mail.port == 587
    chat = build_channel({"name": "sales-chat", "kind": "slack",
                          "url_env": "SMO_SLACK_SALES_URL"}, env, tmp_path)
    assert isinstance(chat, WebhookChannel) and (chat.name, chat.kind) == ("sales-chat", "slack")
    hook = build_channel({"name": "hook", "kind": "webhook", "url_env": "SMO_SLACK_SALES_URL",
                          "secret_env": "SMO_SIG"}, env, tmp_path)
    assert hook.kind == "webhook"


def test_factory_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidData) as unknown:
        build_channel({"name": "x", "kind": "pigeon"}, {}, tmp_path)
    assert "file, smtp, webhook, slack, teams, mattermost" in str(unknown.value)
    with pytest.raises(InvalidData, match="SMO_TEAMS_URL"):
        build_channel({"name": "t", "kind": "teams", "url_env": "SMO_TEAMS_URL"}, {}, tmp_path)
    with pytest.raises(InvalidData, match="secret"):
        build_channel({"name": "t", "kind": "slack", "url": "https://x"}, {}, tmp_path)


ITEM = {"id": 7, "type": "complaint", "priority": "high", "department": "administratie",
        "person": None, "sla_due_at": "2025-03-04 12:00", "rule_id": "invoice"}
HOSTILE = {"title": "<script>alert(1)</script>", "text": '<a href="javascript:alert(2)">klik</a>',
           "url": "javascript:alert(3)", "author": "<b>x</b>", "source": "mastodon",
           "sentiment": "negative", "published_at": None}


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_html_templates_keep_untrusted_text_inert(lang: str) -> None:
    message = render(f"{lang}/message.html.j2", {"item": ITEM, "mention": HOSTILE, "org": "Acme"},
                     html=True)
    digest = render(f"{lang}/digest.html.j2", {"items": [{"item": ITEM, "mention": HOSTILE}],
                                                "org": "Acme", "recipient": "a@acme.nl"},
                    html=True)
    for html in (message, digest):
        assert "<script" not in html and "<b>x" not in html and "<a href=\"javascript" not in html
        assert 'href="javascript' not in html
        assert "&lt;script&gt;" in html
    assert "smo inbox respond 7 --by" in message


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_text_templates_render(lang: str) -> None:
    good = {**HOSTILE, "url": "https://social.example/1"}
    text = render(f"{lang}/message.txt.j2", {"item": ITEM, "mention": good, "org": "Acme"})
    assert "https://social.example/1" in text and "smo inbox respond 7" in text
    digest = render(f"{lang}/digest.txt.j2", {"items": [{"item": ITEM, "mention": good}],
                                              "org": "Acme", "recipient": "a@acme.nl"})
    assert "#7" in digest


def test_a_long_subject_reads_back_exactly(tmp_path: Path) -> None:
    subject = ("Herinnering: lees en bevestig het socialemediabeleid van Acme Installatietechniek "
               "(versie 2)")
    channel = FileChannel(tmp_path / "outbox")
    assert channel.send(_message(subject=subject)).ok
    parsed = email.message_from_bytes((tmp_path / "outbox" / "outbox-1.eml").read_bytes(),
                                      policy=policy.default)
    assert parsed["Subject"] == subject
