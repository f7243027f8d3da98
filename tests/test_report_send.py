"""`smo report ... --send`: the report mailed through the delivery channel to a real local SMTP
server (Markdown as the text part, the standalone page as the HTML part), to the right person."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import yaml
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading
from smo_cli.db.models import OutboxMessage
from tests.conftest import Run
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.test_report import PERIOD, acme

__all__ = ["acme", "smtp_server"]   # the fixtures, used by name

CEO = "pieter.bakker@acme-installatie.example"


def _use_smtp(workspace: Path, port: int) -> None:
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["channels"] = [{"name": "mail", "kind": "smtp", "host": "127.0.0.1", "port": port,
                             "security": "none", "from": "sanne.devries@acme-installatie.example"}]
    settings["delivery"] = {"channel": "mail"}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))


def _body(mail: EmailMessage, kind: str) -> str:
    part = mail.get_body((kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def _outbox(workspace: Path) -> list[OutboxMessage]:
    engine = make_engine(load_workspace(workspace).database_url)
    with reading(engine) as session:
        rows = list(session.exec(select(OutboxMessage).where(
            col(OutboxMessage.delivery) == "report")).all())
    engine.dispose()
    return rows


def test_executive_report_goes_to_the_head_of_the_first_department(
        acme: Run, workspace: Path, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    _use_smtp(workspace, port)
    result = acme("report", "executive", "--period", PERIOD, "--send")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""                              # the document went by mail
    assert "Sent 1, failed 0, retrying later 0" in result.stderr and CEO in result.stderr
    mail = inbox.only()
    assert mail["To"] == CEO
    assert mail["Subject"] == "Directierapportage sociale media — Acme Installatietechniek — " \
                              "2026-11"
    text = _body(mail, "plain")
    assert text.startswith("# Directierapportage sociale media — Acme Installatietechniek")
    html = _body(mail, "html")
    assert html.startswith("<!doctype html>") and '<svg class="bars"' in html
    assert "<script" not in html and "&lt;script&gt;" in html
    rows = _outbox(workspace)
    assert [(r.state, r.recipients, r.channel) for r in rows] == [("sent", [CEO], "mail")]
    again = acme("report", "executive", "--period", PERIOD, "--send")
    assert again.exit_code == 0 and len(inbox.envelopes) == 2      # asked twice: sent twice


def test_executive_report_goes_to_the_strategy_approver(
        acme: Run, workspace: Path, smtp_server: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp_server
    _use_smtp(workspace, port)
    (workspace / "strategy.yaml").write_text(
        "approver: ingrid.deboer@acme-installatie.example\n", encoding="utf-8")
    out = tmp_path / "report.md"
    result = acme("report", "executive", "--period", PERIOD, "--lang", "en", "--send",
                  "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert inbox.only()["To"] == "ingrid.deboer@acme-installatie.example"
    assert inbox.only()["Subject"].startswith("Social media executive report")
    assert out.read_text(encoding="utf-8").startswith("# Social media executive report")


def test_department_report_goes_to_the_department_address(
        acme: Run, workspace: Path, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    _use_smtp(workspace, port)
    dry = acme("report", "department", "sales", "--period", PERIOD, "--send", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "Dry run: would send 'Afdelingsrapportage sociale media — Verkoop — 2026-11' to " \
           "verkoop@acme-installatie.example via mail." in dry.stderr
    assert inbox.envelopes == [] and _outbox(workspace) == []
    result = acme("report", "department", "sales", "--period", PERIOD, "--send")
    assert result.exit_code == 0, result.stderr
    mail = inbox.only()
    assert mail["To"] == "verkoop@acme-installatie.example"
    assert "Inbox-items doorgestuurd naar Verkoop: 4." in _body(mail, "plain")


def test_send_without_a_channel_or_an_address_is_one_line(acme: Run, workspace: Path) -> None:
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["delivery"] = {}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    result = acme("report", "executive", "--period", PERIOD, "--send")
    assert result.exit_code == 5
    assert result.stderr == "error: no delivery channel for reports — set delivery.channel in " \
                            "smo.yaml to one of `channels`\n"
    settings["delivery"] = {"channel": "files"}
    for department in settings["departments"]:
        if department["key"] == "hr":
            del department["email"], department["head"]
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    result = acme("report", "department", "hr", "--period", PERIOD, "--send")
    assert result.exit_code == 5
    assert result.stderr.startswith("error: department 'hr' has no e-mail address or head")


def test_a_failed_send_stays_in_the_outbox_for_a_retry(acme: Run, workspace: Path) -> None:
    _use_smtp(workspace, free_port())               # nobody listens there
    result = acme("report", "executive", "--period", PERIOD, "--send")
    assert "Sent 0, failed 0, retrying later 1" in result.stderr
    assert [r.state for r in _outbox(workspace)] == ["pending"]
