"""A real worker process killed with SIGKILL between two escalation steps; after a restart each
step fires exactly once. Runs `salama worker` against a database of its own (a SQLite file, or a
throwaway PostgreSQL database when the suite runs with DATABASE_URL), as the delivery engine's
process tests do.

Time is not waited for: the first step is due at once, and the passing of the second step's
delay is made by moving its due time (in a separate `salama shell`), as if the clock had moved.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import Any

from salama.delivery.sink import SinkHandler, start
from salama.delivery.tests.test_processes import (  # noqa: F401  the database fixture
    TIMEOUT,
    database,
    finish,
    salama,
    start_worker,
    stop,
)

SETUP = """
from datetime import timedelta
from django.utils import timezone
from salama.accounts.models import User
from salama.orgs.models import Membership, Organization
from salama.defenders.models import Defender
from salama.cases.models import Case
from salama.safety.models import CheckInSchedule
org = Organization.objects.create(name="Org", slug="safety-crash", kind="network", country="KE", region="africa")
def person(email, role):
    user = User.objects.create_user(email=email, password=None, display_name=email)
    Membership.objects.create(user=user, organization=org, role=role)
    return user
team, _ = person("team@example.org", "caseworker"), person("lead@example.org", "coordinator")
person("admin@example.org", "admin")
defender = Defender(organization=org, public_name="Ana")
defender.save()
case = Case(organization=org, reference="C-1", title="Case")
case.save()
case.defenders.add(defender)
case.team.add(team)
now = timezone.now()
chain = [{"to": "case_team", "after": 0}, {"to": "coordinators", "after": 60}]
schedule = CheckInSchedule(organization=org, defender=defender, case=case, next_due_at=now - timedelta(hours=2),
    grace_period=timedelta(hours=1), escalation_chain=chain)
schedule.save()
print(schedule.pk)
"""

# The killed worker may have held a claim on the second step: the worst moment, since it never
# recorded the step. Its lease has run out by the time the second step is due.
SECOND_STEP_DUE = """
from datetime import timedelta
from django.utils import timezone
from salama.safety.models import EscalationStep
step = EscalationStep.objects.get(position=2)
assert step.state == "pending", step.state
now = timezone.now()
EscalationStep.objects.filter(pk=step.pk).update(
    state="firing", claim="killed-worker", lease_until=now - timedelta(seconds=1), due_at=now - timedelta(minutes=1)
)
print(step.pk)
"""

SETTLE = """
import json
from datetime import timedelta
import time_machine
from django.utils import timezone
from salama.delivery.models import Delivery, Message
from salama.safety.models import Emergency, EscalationStep
from salama.safety.ticks import tick
with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
    tick()
steps = list(EscalationStep.objects.order_by("position").values("position", "state", "message_id", "recipients"))
print(json.dumps({
    "emergencies": Emergency.objects.count(),
    "steps": [{**s, "message_id": str(s["message_id"])} for s in steps],
    "messages": Message.objects.filter(producer_kind="safety.step").count(),
    "deliveries": {str(s["message_id"]): Delivery.objects.filter(message_id=s["message_id"]).count() for s in steps},
}))
"""


class CountingSink(SinkHandler):
    def __init__(self) -> None:
        super().__init__(keep_content=False)
        self.first = threading.Event()
        self.all = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.accepted) >= 1:
            self.first.set()
        if len(self.accepted) >= 3:
            self.all.set()
        return reply


def test_a_worker_killed_between_two_steps_fires_each_step_once(database: dict[str, str]) -> None:  # noqa: F811
    sink = CountingSink()
    controller = start(sink)
    env = {**database, "SALAMA_EMAIL_PORT": str(controller.port), "SALAMA_SAFETY_STEP_LEASE_SECONDS": "2"}
    workers = []
    try:
        salama(env, "shell", "-c", SETUP)
        victim = start_worker(env)
        workers.append(victim)
        assert sink.first.wait(TIMEOUT), "the first step never arrived"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=TIMEOUT)
        salama(env, "shell", "-c", SECOND_STEP_DUE)
        workers.append(start_worker(env))
        assert sink.all.wait(TIMEOUT), f"only {len(sink.accepted)} of 3 messages arrived after the restart"
        for process in workers:
            finish(process)
        settled = json.loads(salama(env, "shell", "-c", SETTLE))
    finally:
        for process in workers:
            stop(process)
        controller.stop()
    assert settled["emergencies"] == 1
    assert [(s["position"], s["state"], s["recipients"]) for s in settled["steps"]] == [
        (1, "fired", 1),
        (2, "fired", 2),
    ]
    assert settled["messages"] == 2  # one message per step, never a second one
    assert sorted(settled["deliveries"].values()) == [1, 2]
    assert len(sink.order) == len(set(sink.order)) == 3  # nobody got a step twice
