"""Delivery channels behind one protocol: file, SMTP e-mail and webhooks (generic, Slack, Teams,
Mattermost). No database: the outbox service decides what to send and records each result.
"""

from smo_cli.delivery.base import Attachment, Channel, DeliveryResult, Message
from smo_cli.delivery.factory import KINDS, build_channel
from smo_cli.delivery.file import FileChannel
from smo_cli.delivery.smtp import SmtpChannel
from smo_cli.delivery.webhook import WebhookChannel

__all__ = ["KINDS", "Attachment", "Channel", "DeliveryResult", "FileChannel", "Message",
           "SmtpChannel", "WebhookChannel", "build_channel"]
