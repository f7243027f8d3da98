"""SMTP channel against a real local aiosmtpd server on 127.0.0.1.

STARTTLS and implicit TLS are not tested: they need a certificate the test would have to generate.
"""

from __future__ import annotations

import email
from typing import Any

from smo_cli.delivery import Attachment, Message, SmtpChannel
from tests.smtp_server import Inbox, free_port, smtp_server

__all__ = ["smtp_server"]   # the fixture, used by name


def _message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        "key": "outbox-42", "recipients": ("sales@acme.nl",),
        "subject": "Vraag over één offerte — prijs?",
        "text": "Geachte collega, de klant vraagt naar de prijs van het abonnement. Groeten, Zoë",
        "html": "<p>Geachte collega, <strong>één</strong> vraag van Zoë.</p>", "data": {}}
    values.update(changes)
    return Message(**values)


def test_sends_multipart_with_headers_and_dutch_text(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    channel = SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", {})

    result = channel.send(_message())

    assert result.ok, result.detail
    received = inbox.only()
    assert received["From"] == "smo@acme.nl"
    assert received["To"] == "sales@acme.nl"
    assert received["Subject"] == "Vraag over één offerte — prijs?"
    assert received["Message-ID"] == "<outbox-42@smo>"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None and html is not None
    assert "Groeten, Zoë" in text.get_content()
    assert "<strong>één</strong>" in html.get_content()
    assert inbox.envelopes[0].rcpt_tos == ["sales@acme.nl"]


def test_message_id_is_stable_per_key(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    channel = SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", {})
    channel.send(_message())
    channel.send(_message())
    ids = {email.message_from_bytes(e.original_content or b"")["Message-ID"]
           for e in inbox.envelopes}
    assert ids == {"<outbox-42@smo>"}


def test_text_only_message(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    assert SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", {}).send(_message(html=None)).ok
    assert inbox.only().get_content_type() == "text/plain"


def test_subject_cannot_inject_headers(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    channel = SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", {})

    result = channel.send(_message(subject="Hallo\r\nBcc: evil@x\nX-Evil: 1"))

    assert result.ok, result.detail
    received = inbox.only()
    assert received["Bcc"] is None
    assert received["X-Evil"] is None
    assert received["Subject"] == "Hallo Bcc: evil@x X-Evil: 1"
    assert inbox.envelopes[0].rcpt_tos == ["sales@acme.nl"]


def test_login_with_environment_credentials(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    env = {"SMO_SMTP_USER": "smo", "SMO_SMTP_PASSWORD": "right"}
    assert SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", env).send(_message()).ok
    assert len(inbox.envelopes) == 1


def test_refused_login_is_permanent_and_hides_the_password(
        smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    env = {"SMO_SMTP_USER": "smo", "SMO_SMTP_PASSWORD": "wrong-secret"}

    result = SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", env).send(_message())

    assert not result.ok and result.permanent
    assert result.detail is not None and "535" in result.detail
    assert "wrong-secret" not in result.detail
    assert inbox.envelopes == []


def test_connection_refused_is_retryable() -> None:
    result = SmtpChannel("127.0.0.1", free_port(), "none", "smo@acme.nl", {},
                         timeout=2).send(_message())
    assert not result.ok and not result.permanent


def test_no_recipients_is_permanent() -> None:
    result = SmtpChannel("127.0.0.1", 1, "none", "smo@acme.nl", {}).send(_message(recipients=()))
    assert not result.ok and result.permanent


def test_attachment_arrives_with_its_type_and_name(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
                "SUMMARY:Training sociale media – één dag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    message = _message(attachments=(Attachment(
        "uitnodiging.ics", "text/calendar; method=REQUEST", calendar.encode("utf-8")),))
    assert SmtpChannel("127.0.0.1", port, "none", "smo@acme.nl", {}).send(message).ok
    received = inbox.only()
    assert received.get_body(("plain",)) is not None
    [part] = list(received.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "uitnodiging.ics"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.decode("utf-8") == calendar
