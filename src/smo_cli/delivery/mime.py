"""The one RFC 5322 message builder shared by the SMTP and file channels.

Every header value has CR and LF removed, so a subject built from untrusted mention text cannot add
headers. Bodies are UTF-8; non-ASCII headers are RFC 2047 encoded (policy SMTP).
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from smo_cli.delivery.base import Message, safe_key

_CRLF = re.compile(r"[\r\n]+")
MESSAGE_ID_DOMAIN = "smo"
_POLICY = policy.SMTP.clone(max_line_length=998)


def clean_header(value: str) -> str:
    """A header value on one line: every run of CR/LF becomes one space."""
    return _CRLF.sub(" ", value).strip()


def message_id(key: str) -> str:
    return f"<{safe_key(key)}@{MESSAGE_ID_DOMAIN}>"


def build_email(message: Message, sender: str) -> EmailMessage:
    """multipart/alternative (text + HTML) or text/plain with a stable Message-ID."""
    # Headers fold only past 998 characters: Python folds a long Subject onto a continuation
    # line of its own, which its parser (and some clients) then read with a leading space.
    email = EmailMessage(policy=_POLICY)
    email["From"] = clean_header(sender)
    if message.recipients:
        email["To"] = ", ".join(clean_header(r) for r in message.recipients)
    email["Subject"] = clean_header(message.subject)
    email["Message-ID"] = message_id(message.key)
    email["Date"] = formatdate(localtime=True)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text, charset="utf-8")
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *parameters = (part.strip() for part in rest.split(";"))
        params = dict(p.split("=", 1) for p in parameters if "=" in p)
        email.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                             filename=clean_header(attachment.filename), params=params)
    return email
