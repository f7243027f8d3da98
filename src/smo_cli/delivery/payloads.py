"""Webhook bodies per flavour: generic JSON, Slack blocks, a Teams Adaptive Card, Mattermost.

Pure functions of a `Message`; untrusted text is escaped for each target's markup, and only
http(s) URLs become links.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_SLACK_SECTION = 2900
MAX_CHAT_TEXT = 4000
MAX_DIGEST_LINES = 20
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def web_url(value: Any) -> str | None:
    """The value if it is an http(s) URL without whitespace, else None (no javascript: links)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return None
    return url


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _facts(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    labels = (("department", "Department"), ("person", "Person"), ("type", "Type"),
              ("priority", "Priority"), ("due", "Due"), ("id", "Inbox item"))
    return [(label, _text(data[key])) for key, label in labels if data.get(key) not in (None, "")]


def _items(data: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    items = data.get("items")
    if isinstance(items, Sequence) and not isinstance(items, str):
        return [i for i in items if isinstance(i, Mapping)][:MAX_DIGEST_LINES]
    return []


def generic_payload(key: str, subject: str, text: str, data: Mapping[str, Any]
                    ) -> dict[str, Any]:
    return {"key": key, "subject": subject, "text": text, "data": dict(data)}


# --- Slack -------------------------------------------------------------------------------------

def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters: &, < and > (so `<!channel>` or fake links stay text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str | None, label: str) -> str:
    if url is None:
        return label
    safe = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{safe}|{label}>"


def slack_payload(subject: str, text: str, data: Mapping[str, Any]) -> dict[str, Any]:
    title = slack_escape(_text(data.get("title")) or subject)
    heading = f"*{_slack_link(web_url(data.get('url')), title)}*"
    lines = [heading, slack_escape(text)]
    for item in _items(data):
        label = slack_escape(_text(item.get("title")) or "(no title)")
        number = f"#{slack_escape(_text(item['id']))} " if item.get("id") is not None else ""
        lines.append(f"• {number}{_slack_link(web_url(item.get('url')), label)}")
    blocks: list[dict[str, Any]] = [
        {"type": "section",
         "text": {"type": "mrkdwn", "text": _truncate("\n".join(lines), MAX_SLACK_SECTION)}}]
    facts = _facts(data)
    if facts:
        context = " · ".join(f"{label}: {slack_escape(value)}" for label, value in facts)
        blocks.append({"type": "context",
                       "elements": [{"type": "mrkdwn", "text": _truncate(context, 2000)}]})
    return {"text": _truncate(slack_escape(subject), MAX_CHAT_TEXT), "blocks": blocks}


# --- Microsoft Teams (Workflows webhook, Adaptive Card 1.4) ------------------------------------

def card_text(text: str) -> str:
    """Adaptive Card TextBlocks render a Markdown subset: break `[label](url)` links apart."""
    return text.replace("](", "] (")


def teams_payload(subject: str, text: str, data: Mapping[str, Any]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": card_text(_text(data.get("title")) or subject),
         "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": card_text(_truncate(text, MAX_CHAT_TEXT)), "wrap": True},
    ]
    for item in _items(data):
        label = _text(item.get("title")) or "(no title)"
        number = f"#{item['id']} " if item.get("id") is not None else ""
        body.append({"type": "TextBlock", "text": card_text(f"• {number}{label}"), "wrap": True,
                     "spacing": "None"})
    facts = _facts(data)
    if facts:
        body.append({"type": "FactSet",
                     "facts": [{"title": label, "value": value} for label, value in facts]})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body}
    url = web_url(data.get("url"))
    if url is not None:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": url}]
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                             "contentUrl": None, "content": card}]}


# --- Mattermost --------------------------------------------------------------------------------

def md_escape(text: str) -> str:
    """Backslash-escape Markdown punctuation so untrusted text cannot form links or markup."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _angle(url: str) -> str:
    return url.replace("<", "%3C").replace(">", "%3E")


def mattermost_payload(subject: str, text: str, data: Mapping[str, Any]) -> dict[str, Any]:
    title = md_escape(_text(data.get("title")) or subject)
    url = web_url(data.get("url"))
    heading = f"#### [{title}](<{_angle(url)}>)" if url else f"#### {title}"
    lines = [heading, "", md_escape(_truncate(text, MAX_CHAT_TEXT))]
    items = _items(data)
    if items:
        lines.append("")
    for item in items:
        label = md_escape(_text(item.get("title")) or "(no title)")
        item_url = web_url(item.get("url"))
        number = f"#{md_escape(_text(item['id']))} " if item.get("id") is not None else ""
        link = f"[{label}](<{_angle(item_url)}>)" if item_url else label
        lines.append(f"- {number}{link}")
    facts = _facts(data)
    if facts:
        lines += ["", " · ".join(f"**{label}:** {md_escape(value)}" for label, value in facts)]
    return {"text": "\n".join(lines)}
