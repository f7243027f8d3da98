"""E-mail over SMTP (STARTTLS, implicit TLS or plain) with login from the environment.

Login uses `SMO_SMTP_USER` / `SMO_SMTP_PASSWORD` when the user is set. Failures are classified for
the outbox: network problems and 4xx replies are retryable; refused logins (535), refused recipients
and other 5xx replies are permanent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from typing import Literal

from smo_cli.delivery.base import DeliveryResult, Message, give_up, retry, sent
from smo_cli.delivery.mime import build_email, clean_header

Security = Literal["starttls", "tls", "none"]
SECURITY_MODES: tuple[Security, ...] = ("starttls", "tls", "none")
USER_ENV = "SMO_SMTP_USER"
PASSWORD_ENV = "SMO_SMTP_PASSWORD"


class SmtpChannel:
    kind = "smtp"

    def __init__(self, host: str, port: int, security: Security, sender: str,
                 env: Mapping[str, str], *, name: str = "mail", timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {', '.join(SECURITY_MODES)}")
        self.name = name
        self.host = host
        self.port = port
        self.security = security
        self.sender = clean_header(sender)
        self.timeout = timeout
        self._user = env.get(USER_ENV) or None
        self._password = env.get(PASSWORD_ENV, "")
        self._ssl_context = ssl_context

    def _connect(self) -> smtplib.SMTP:
        context = self._ssl_context or ssl.create_default_context()
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=context)
            return client
        except BaseException:
            client.close()
            raise

    def send(self, message: Message) -> DeliveryResult:
        if not message.recipients:
            return give_up("no recipients")
        email = build_email(message, self.sender)
        recipients = [clean_header(r) for r in message.recipients]
        try:
            with self._connect() as client:
                if self._user:
                    client.login(self._user, self._password)
                refused = client.send_message(email, from_addr=self.sender, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:
            return _by_code(exc.smtp_code, f"login refused by {self.host}: {_reply(exc)}")
        except smtplib.SMTPRecipientsRefused as exc:
            return give_up(f"recipients refused: {', '.join(sorted(exc.recipients))}")
        except smtplib.SMTPNotSupportedError as exc:
            return give_up(f"{self.host} does not support this: {exc}")
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, f"{self.host} replied {_reply(exc)}")
        except ssl.SSLCertVerificationError as exc:
            return give_up(f"TLS certificate of {self.host} refused: {exc.verify_message}")
        except (OSError, smtplib.SMTPException) as exc:
            return retry(f"cannot deliver through {self.host}:{self.port}: "
                         f"{type(exc).__name__}: {exc}")
        if refused:
            return sent(f"accepted, but refused: {', '.join(sorted(refused))}")
        return sent(f"accepted by {self.host}")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


def _by_code(code: int, detail: str) -> DeliveryResult:
    return give_up(detail) if 500 <= code < 600 else retry(detail)
