"""Scale mode: Celery workers run the same claim-work-record code as the embedded threads.

Tasks carry no data; a message only says "there is work". Losing one costs at most the
polling interval of `salama worker`, which also claims on its own once a second.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salama.settings")

app = Celery("salama")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="salama.run_jobs", acks_late=True)
def run_jobs() -> int:
    from salama.core.jobs import work_once

    return work_once()


@app.task(name="salama.deliver", acks_late=True)
def deliver() -> int:
    """Claim, send and record delivery batches until none is due (or a time budget is spent)."""
    from salama.delivery.engine import drain

    return drain()


@app.task(name="salama.safety_tick", acks_late=True)
def safety_tick() -> dict[str, int]:
    """Start escalations for missed check-ins and fire the steps that are due (salama.safety)."""
    from salama.safety.ticks import tick

    return tick()


@app.task(name="salama.analytics_warning", acks_late=True)
def analytics_warning() -> dict[str, int]:
    """Raise the day's early-warning flags and tell their subscribers (salama.analytics)."""
    from salama.analytics.flagging import run

    return run()


@app.task(name="salama.referrals_tick", acks_late=True)
def referrals_tick() -> dict[str, int]:
    """Remind case teams of overdue replies and referrals that stopped moving (salama.referrals)."""
    from salama.referrals.ticks import tick

    return tick()
