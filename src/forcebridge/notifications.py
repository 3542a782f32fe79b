"""Email to a tenant's notification users, through the SMTP server in `Settings`.

Notifications are best effort by design: a mail server that is down is logged, never allowed to
fail the run or the request that triggered the mail.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from forcebridge import log
from forcebridge.settings import Settings

_logger = log.get("notifications")


def send(settings: Settings, recipients: Sequence[str], subject: str, body: str) -> bool:
    """Send one mail to `recipients`; returns whether the SMTP server accepted it."""
    if not recipients:
        return False
    if not settings.smtp_host:
        log.event(_logger, "notification not sent: no SMTP host configured", subject=subject)
        return False
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        _logger.warning("notification failed", extra={"fields": {"subject": subject, "error": type(exc).__name__}})
        return False
    log.event(_logger, "notification sent", subject=subject, recipients=len(recipients))
    return True
