"""Audiences at scale: an alert's audience resolved, frozen and streamed at 100,000 subscribers.

Scale (environment variables):

    SALAMA_BENCH_SUBSCRIBERS      subscribers to generate, one email contact point each (default 100000)
    SALAMA_BENCH_AUDIENCE_RUNS    timed runs of each step (default 3)

Data: one organisation; each subscriber is of one of the six kinds, has 1-2 languages (es 50 %,
en 30 %, fr 20 % first; a third add a second one), one country of interest (Colombia for half
of them, the rest spread over eight others), a region for a quarter, and one verified email
contact point with consent, address and name genuinely encrypted (one data key per record, as
the actions make them; written with `create_many_values`, one key-store write per batch of 5,000).

The rule: every kind, interested in Colombia: about half the list. Each timed run uses a new
producer id, so every freeze really evaluates the rule:

- `resolve_*`: `rules.preview_count(rule)`, what the rule page shows (SQL counts only);
- `freeze_*`: `freezing.freeze` at publication, one INSERT ... SELECT;
- `count_*`: `freezing.count` of the frozen audience;
- `recipients_*`: streaming every `Recipient` of the frozen audience (chunks of 2,000: addresses
  and names opened, suppressions checked again), as the delivery fan-out consumes them;
- `follow_up_*`: `freezing.follow_up` of that audience, then streaming its recipients, which are
  checked to be exactly the frozen audience's.

Times are p50 and max over the runs, without tracemalloc; memory (`*_peak_mib`) is the
tracemalloc peak of one more run of each step, traced alone (tracing slows Python down, so its
times are not reported). The database is whatever the settings give: SQLite in memory under
`python -m benchmarks`, PostgreSQL with DATABASE_URL.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

BATCH = 5_000
SEED = 20261125
OTHER_COUNTRIES = ["PE", "BR", "MX", "GT", "HN", "EC", "VE", "BO"]


def build(count: int) -> Any:
    from django.db import transaction
    from django.utils import timezone

    from salama.audiences.models import AudienceRule, Channel, ContactPoint, Interest, Subscriber
    from salama.core.encryption import create_many_values
    from salama.delivery import channels
    from salama.delivery.engine import address_key, address_keyer
    from salama.orgs.models import Organization

    org = Organization.objects.create(
        name="Bench", slug="bench-audiences", kind="network", country="KE", region="africa"
    )
    rng = random.Random(SEED)
    kinds = list(Subscriber.Kind.values)
    email = channels.get(Channel.EMAIL)
    keyer = address_keyer(org.pk, Channel.EMAIL)
    now = timezone.now()
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        with transaction.atomic():
            names = [(rng.choice(kinds), f"Subscriber {start + n}") for n in range(size)]
            subscribers = create_many_values(Subscriber, org.pk, ("kind", "display_name"), names)
            interests = []
            for subscriber in subscribers:
                interests += _interests(subscriber, rng)
            Interest.objects.bulk_create(interests)
            points = []
            for n, subscriber in enumerate(subscribers):
                address = f"subscriber{start + n}@example.org"
                points.append((subscriber, address, address_key(keyer, email.normalise(address))))
            create_many_values(
                ContactPoint,
                org.pk,
                ("subscriber_id", "address", "address_key"),
                points,
                channel=Channel.EMAIL,
                verified_at=now,
                verified_reason="bench",
                consent_given_at=now,
                consent_how=ContactPoint.ConsentHow.IMPORT,
            )
    rule = AudienceRule.objects.create(organization=org, name="Colombia", subscriber_kinds=kinds, countries=["CO"])
    return org, rule


def _interests(subscriber: Any, rng: random.Random) -> list[Any]:
    """The interests of the subscriber whose id is `subscriber`."""
    from salama.audiences.models import Interest

    first = rng.choices(["es", "en", "fr"], weights=[5, 3, 2])[0]
    second = rng.choice([code for code in ("es", "en", "fr", "pt") if code != first])
    languages = [first, second] if rng.random() < 1 / 3 else [first]
    country = "CO" if rng.random() < 0.5 else rng.choice(OTHER_COUNTRIES)
    rows = [Interest(subscriber_id=subscriber, facet="language", code=code, rank=i) for i, code in enumerate(languages)]
    rows.append(Interest(subscriber_id=subscriber, facet="country", code=country))
    if rng.random() < 0.25:
        rows.append(Interest(subscriber_id=subscriber, facet="region", code="americas"))
    return rows


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = func()
    return time.perf_counter() - started, value


def peak_mib(func: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        func()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def run() -> dict[str, float | int | str]:
    from django.db import connection

    from salama.audiences import freezing
    from salama.audiences.rules import preview_count

    count = int(os.environ.get("SALAMA_BENCH_SUBSCRIBERS", "100000"))
    runs = int(os.environ.get("SALAMA_BENCH_AUDIENCE_RUNS", "3"))
    build_s, (org, rule) = timed(lambda: build(count))
    figures: dict[str, float | int | str] = {
        "database": connection.vendor,
        "subscribers": count,
        "runs": runs,
        "build_s": round(build_s, 1),
    }
    samples: dict[str, list[float]] = {}
    producer = iter(range(1, 10_000))

    def freeze() -> Any:
        return freezing.freeze(org, rule, producer_kind="bench.alert", producer_id=str(next(producer)))

    def follow(original: Any) -> Any:
        return freezing.follow_up(original, producer_kind="bench.follow_up", producer_id=str(next(producer)))

    def refs(audience: Any) -> set[str]:
        return {recipient.contact_ref for recipient in freezing.recipients(audience)}

    reached = frozen = 0
    for _ in range(runs):
        seconds, preview = timed(lambda: preview_count(rule))
        samples.setdefault("resolve", []).append(seconds)
        seconds, audience = timed(freeze)
        samples.setdefault("freeze", []).append(seconds)
        seconds, frozen = timed(lambda: freezing.count(audience))  # noqa: B023 - called at once
        samples.setdefault("count", []).append(seconds)
        seconds, original = timed(lambda: refs(audience))  # noqa: B023
        samples.setdefault("recipients", []).append(seconds)
        seconds, again = timed(lambda: refs(follow(audience)))  # noqa: B023
        samples.setdefault("follow_up", []).append(seconds)
        assert again == original and len(original) == frozen == preview["contact_points"]
        reached = len(original)
    figures["audience"] = frozen
    figures["audience_share"] = round(frozen / count, 3)
    figures["recipients_streamed"] = reached
    for name, values in samples.items():
        figures[f"{name}_p50_ms"] = round(statistics.median(values) * 1000, 1)
        figures[f"{name}_max_ms"] = round(max(values) * 1000, 1)
    audience = freeze()
    figures["resolve_peak_mib"] = peak_mib(lambda: preview_count(rule))
    figures["freeze_peak_mib"] = peak_mib(freeze)
    figures["recipients_peak_mib"] = peak_mib(lambda: sum(1 for _r in freezing.recipients(audience)))
    figures["follow_up_peak_mib"] = peak_mib(lambda: sum(1 for _r in freezing.recipients(follow(audience))))
    return figures
