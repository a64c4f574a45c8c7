"""One safety tick over 10,000 active check-in schedules (salama.safety.ticks).

Scale (environment variables):

    SALAMA_BENCH_SCHEDULES   active schedules (default 10000)
    SALAMA_BENCH_OVERDUE     of which overdue at the timed tick (default 1000)

Schedules and their defenders are written with `bulk_create` (defenders with their encrypted
fields empty and a placeholder data key: nothing here opens them). Half the defenders are on a
case, so the tick writes timeline lines for those and looks the others' cases up.

Figures, each the time of one call on a fresh set of rows:

- `idle_tick_s`: `tick()` when nothing is overdue: the index scan that finds nothing.
- `start_<n>_overdue_s`: `start_missed()` with n overdue among the active schedules: finding
  them, then writing their emergencies, escalation steps, timeline lines and audit entries in
  one transaction.
- `start_all_overdue_first_tick_s`: the worst case, every active schedule overdue at once: one
  tick opens at most `ticks.START_BATCH` (2,000) of them; `start_all_overdue_total_s` and
  `ticks_to_start_all` are for all of them.
- `fire_batch_s`: firing one claimed batch of first steps (`fire_due`, 50 steps), each step a
  message for the case team through the delivery engine.

Database: whatever settings are active (SQLite in memory by default; PostgreSQL with
DATABASE_URL).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def generate(count: int, overdue: int) -> Any:
    from salama.accounts.models import User
    from salama.cases.models import Case
    from salama.defenders.models import Defender
    from salama.orgs.models import Membership, Organization
    from salama.safety.models import CheckInSchedule, Emergency, EscalationStep

    EscalationStep.objects.all().delete()
    Emergency.objects.all().delete()
    CheckInSchedule.objects.all().delete()
    org = Organization.objects.filter(slug="bench-safety").first()
    if org is None:
        org = Organization.objects.create(name="Bench", slug="bench-safety", kind="network", country="KE")
        user = User.objects.create_user(email="bench.caseworker@example.org", password=None, display_name="Bench")
        Membership.objects.create(user=user, organization=org, role="caseworker")
        defenders = [
            Defender(id=uuid.uuid4(), organization=org, public_name=f"D{n}", data_key_id="bench") for n in range(count)
        ]
        Defender.objects.bulk_create(defenders, batch_size=2000)
        for start in range(0, count // 2, 2000):
            cases = [
                Case(id=uuid.uuid4(), organization=org, reference=f"C-{n}", title=f"Case {n}", data_key_id="bench")
                for n in range(start, min(start + 2000, count // 2))
            ]
            Case.objects.bulk_create(cases)
            Case.defenders.through.objects.bulk_create(
                Case.defenders.through(case_id=case.pk, defender_id=defenders[start + i].pk)
                for i, case in enumerate(cases)
            )
            Case.team.through.objects.bulk_create(Case.team.through(case_id=case.pk, user_id=user.pk) for case in cases)
    defender_ids = list(Defender.objects.filter(organization=org).values_list("pk", flat=True)[:count])
    schedules = []
    for n, defender_id in enumerate(defender_ids):
        due = NOW - timedelta(hours=2) if n < overdue else NOW + timedelta(hours=1 + n % 24)
        schedules.append(
            CheckInSchedule(
                organization=org,
                defender_id=defender_id,
                interval=timedelta(hours=24),
                grace_period=timedelta(hours=1),
                next_due_at=due,
                escalate_at=due + timedelta(hours=1),
            )
        )
    CheckInSchedule.objects.bulk_create(schedules, batch_size=2000)
    return org


def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def run() -> dict[str, float | int | str]:
    from salama.safety import ticks

    count = env_int("SALAMA_BENCH_SCHEDULES", 10_000)
    overdue = env_int("SALAMA_BENCH_OVERDUE", 1_000)
    figures: dict[str, float | int | str] = {"schedules": count}
    with time_machine.travel(NOW, tick=False):
        generate(count, 0)
        figures["idle_tick_s"] = round(timed(ticks.tick)[0], 4)
        generate(count, overdue)
        seconds, started = timed(lambda: ticks.start_missed(NOW))
        figures[f"start_{overdue}_overdue_s"] = round(seconds, 4)
        figures["fire_batch_s"] = round(timed(lambda: ticks.fire_due(NOW))[0], 4)
        generate(count, count)
        seconds, started = timed(lambda: ticks.start_missed(NOW))
        figures["start_all_overdue_first_tick_s"] = round(seconds, 4)
        figures["started_by_first_tick"] = started
        total, ticks_needed = seconds, 1
        while started:
            seconds, started = timed(lambda: ticks.start_missed(NOW))
            total, ticks_needed = total + seconds, ticks_needed + (1 if started else 0)
        figures["start_all_overdue_total_s"] = round(total, 4)
        figures["ticks_to_start_all"] = ticks_needed
    return figures
