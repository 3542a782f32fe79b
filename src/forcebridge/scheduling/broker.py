"""Celery on Redis: the app both `forcebridge scheduler` and `forcebridge worker` build.

Tasks are named, not imported, on the sending side: the scheduler sends by name and never
loads the work. Settings chosen for work that must not be lost:

- late acknowledgement and one message prefetched: a task is acknowledged once it ended, so
  a worker killed mid-task leaves it to be delivered again (its run is also taken over through
  the database: the scheduler ends the dead run and makes the integration due at once);
- a lost broker is retried forever, and a worker keeps the tasks it runs while it reconnects;
- no result backend: outcomes are in the database (runs, outbox messages), not in Redis.
"""

from __future__ import annotations

from typing import Any

from forcebridge.settings import Settings

QUEUE = "forcebridge"
RUN = "forcebridge.scheduled_run"
QUEUED_RUN = "forcebridge.queued_run"
OUTBOX_DELIVERY = "forcebridge.outbox_delivery"
FORM_RESEND = "forcebridge.form_resend"


def celery_app(settings: Settings) -> Any:
    """The Celery app of `settings.broker_url` (which must be set)."""
    from celery import Celery

    assert settings.broker_url, "a Celery app needs FORCEBRIDGE_BROKER_URL"
    app = Celery("forcebridge", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_transport_options={"visibility_timeout": 3600},
        enable_utc=True,
    )
    return app


def broker_problem(url: str, *, timeout: float = 2.0) -> str | None:
    """Why the broker at `url` cannot be used now (a short reason), or None when it answers."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except Exception as exc:  # a health check reports, never raises
        return f"broker unreachable ({type(exc).__name__})"
    finally:
        client.close()
    return None
