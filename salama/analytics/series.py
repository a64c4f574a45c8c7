"""Generated monthly count series, with no database: the test bed of the early-warning method.

Counts are negative binomial (a Poisson whose rate is itself drawn from a gamma each month:
waves of violence, not a steady drip) around a mean with a yearly seasonal swing. Spikes can be
planted: a planted month's rate is multiplied. Deterministic for a given `random.Random`.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Mapping
from datetime import date


def poisson(rng: random.Random, rate: float) -> int:
    """One Poisson draw by inversion; large rates are split so exp(-rate) never underflows."""
    if rate <= 0:
        return 0
    if rate > 50:
        parts = math.ceil(rate / 50)
        return sum(poisson(rng, rate / parts) for _ in range(parts))
    threshold, product, count = math.exp(-rate), rng.random(), 0
    while product > threshold:
        product *= rng.random()
        count += 1
    return count


def monthly_series(
    rng: random.Random,
    months: int,
    mean: float,
    *,
    dispersion: float = 0.1,
    seasonal_amplitude: float = 0.2,
    spikes: Mapping[int, float] | None = None,
) -> list[int]:
    """`months` monthly counts around `mean`.

    dispersion: the squared coefficient of variation of the monthly rate (0 gives a Poisson);
    seasonal_amplitude: the relative swing of the mean over a year (a sine with a random phase);
    spikes: {month index: factor} multiplies that month's rate."""
    phase = rng.uniform(0, 2 * math.pi)
    planted = spikes or {}
    counts = []
    for month in range(months):
        rate = mean * (1 + seasonal_amplitude * math.sin(2 * math.pi * month / 12 + phase))
        if dispersion > 0 and rate > 0:
            shape = 1 / dispersion
            rate = rng.gammavariate(shape, rate / shape)
        counts.append(poisson(rng, rate * planted.get(month, 1.0)))
    return counts


def month_starts(first: date, months: int) -> list[date]:
    """The first days of `months` consecutive months from `first`'s month."""
    index = first.year * 12 + first.month - 1
    return [date((index + n) // 12, (index + n) % 12 + 1, 1) for n in range(months)]


def month_end(month: date) -> date:
    """The last day of the month `month` falls in."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])
