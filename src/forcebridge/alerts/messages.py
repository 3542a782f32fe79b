"""What an alert says, on each kind of channel: pure functions of the stored message body.

The body is built once, when the incident opens or resolves, and kept with the message, so a
retry sends exactly what the first try sent. It names the tenant, the rule, the subject (an
integration or a connection, by name and id) and links to its console page: never a record
key, a payload or a secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forcebridge.alerts.rules import Condition

CONSOLE_PAGES = {"integration": "/integrations/{id}", "connection": "/connections/{id}"}


def console_link(public_url: str, subject_type: str, subject_id: str) -> str:
    page = CONSOLE_PAGES.get(subject_type, "/alerts")
    return public_url.rstrip("/") + page.format(id=subject_id)


def incident_body(
    kind: str, *, tenant: str, channel: str, incident_id: str, condition: Condition,
    opened_at: datetime, resolved_at: datetime | None, public_url: str,
) -> dict[str, Any]:
    """The body of an `opened` or `resolved` message."""
    return {
        "event": f"alert.{kind}",
        "tenant": tenant,
        "channel": channel,
        "incident": {
            "id": incident_id,
            "rule": condition.rule,
            "subject": {"type": condition.subject_type, "id": condition.subject_id,
                        "name": condition.subject_name},
            "summary": condition.summary,
            "opened_at": opened_at.isoformat(),
            "resolved_at": resolved_at.isoformat() if resolved_at else None,
        },
        "link": console_link(public_url, condition.subject_type, condition.subject_id),
    }


def test_body(*, tenant: str, channel: str, public_url: str, sent_at: datetime) -> dict[str, Any]:
    """The body of a test message (`forcebridge alerts test`)."""
    return {
        "event": "alert.test",
        "tenant": tenant,
        "channel": channel,
        "incident": None,
        "summary": f"Test message from forcebridge to channel {channel!r}: it works.",
        "sent_at": sent_at.isoformat(),
        "link": public_url.rstrip("/") + "/alerts",
    }


def summary(body: dict[str, Any]) -> str:
    incident = body.get("incident")
    return str(incident["summary"] if incident else body.get("summary", ""))


def headline(body: dict[str, Any]) -> str:
    """One line: what happened, for a mail subject or a chat message's first line."""
    event = body.get("event", "")
    prefix = {"alert.resolved": "Resolved: ", "alert.test": "Test: "}.get(event, "")
    return f"[forcebridge] {body.get('tenant', '')}: {prefix}{summary(body)}"


def slack(body: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook payload: readable text with a link to the console page."""
    event = body.get("event", "")
    icon = {"alert.opened": ":rotating_light:", "alert.resolved": ":white_check_mark:"}.get(
        event, ":wave:")
    state = {"alert.opened": "Alert", "alert.resolved": "Resolved"}.get(event, "Test")
    text = (f"{icon} *{state}* ({body.get('tenant', '')}): {_escape(summary(body))}\n"
            f"<{body['link']}|Open in the forcebridge console>")
    return {"text": text}


def email(body: dict[str, Any]) -> tuple[str, str]:
    """Subject and text of an alert mail."""
    incident = body.get("incident") or {}
    lines = [summary(body), ""]
    if incident:
        lines += [f"Rule:    {incident['rule']}",
                  f"Subject: {incident['subject']['type']} {incident['subject']['name']!r}",
                  f"Opened:  {incident['opened_at']}"]
        if incident.get("resolved_at"):
            lines.append(f"Resolved: {incident['resolved_at']}")
        lines.append("")
    lines.append(f"Console: {body['link']}")
    return headline(body), "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """Slack's three control characters (its message formatting rules)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
