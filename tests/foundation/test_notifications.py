"""Notification mail through a real SMTP server."""

from __future__ import annotations

from pathlib import Path

from forcebridge import notifications
from forcebridge.settings import Settings
from tests.mail import smtp_server


def test_mail_reaches_the_smtp_server(tmp_path: Path) -> None:
    with smtp_server() as (inbox, port):
        settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_from="fb@acme.example")
        assert notifications.send(settings, ["ann@acme.example", "bob@acme.example"], "Run failed", "details")
    [message] = inbox.messages
    assert message["Subject"] == "Run failed"
    assert message["To"] == "ann@acme.example, bob@acme.example"
    assert message["From"] == "fb@acme.example"
    assert message.get_payload().strip() == "details"


def test_an_unreachable_mail_server_does_not_raise(tmp_path: Path) -> None:
    with smtp_server() as (_inbox, port):
        pass  # the port is free again: nobody listens there now
    settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    assert notifications.send(settings, ["ann@acme.example"], "s", "b") is False


def test_nothing_is_sent_without_recipients_or_host(tmp_path: Path) -> None:
    assert notifications.send(Settings(data_dir=tmp_path, smtp_host="127.0.0.1"), [], "s", "b") is False
    assert notifications.send(Settings(data_dir=tmp_path), ["a@b.example"], "s", "b") is False
