"""The early-warning statistics on generated series: planted spikes are found, quiet series
rarely raise a flag, and every flag explains itself."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from salama.analytics import warning
from salama.analytics.series import month_starts, monthly_series, poisson

MONTHS = month_starts(date(2021, 1, 1), 48)
JUDGED = 12  # the last year of each series is judged; the three before are its baselines
# Declared levels (docs/analytics.md): at most 1 % of quiet months flagged, at least 90 % of
# planted spikes (the month's rate times 5, plus 8 incidents) found.
MAX_FALSE_POSITIVE_RATE = 0.01
MIN_DETECTION_RATE = 0.90


def spike_factor(mean: float) -> float:
    return 5 + 8 / mean


def test_false_positive_rate_on_2000_quiet_series_is_at_most_the_declared_level():
    rng = random.Random(20261126)
    flagged = 0
    for _ in range(2000):
        mean = rng.uniform(0.2, 20)
        counts = monthly_series(rng, len(MONTHS), mean, dispersion=rng.choice([0.0, 0.1, 0.3]))
        flagged += len(warning.rises(counts, MONTHS, last=JUDGED))
    rate = flagged / (2000 * JUDGED)
    assert rate <= MAX_FALSE_POSITIVE_RATE, rate


def test_planted_spikes_are_found_at_the_declared_rate():
    rng = random.Random(20261127)
    found = 0
    for _ in range(500):
        mean = rng.uniform(0.2, 20)
        spike = rng.randrange(36, 48)
        counts = monthly_series(rng, len(MONTHS), mean, dispersion=0.1, spikes={spike: spike_factor(mean)})
        found += any(rise.month == MONTHS[spike] for rise in warning.rises(counts, MONTHS, last=JUDGED))
    assert found / 500 >= MIN_DETECTION_RATE, found / 500


def test_generated_series_are_deterministic_for_a_seed():
    first = monthly_series(random.Random(3), 48, 4.0, spikes={40: 6})
    again = monthly_series(random.Random(3), 48, 4.0, spikes={40: 6})
    assert first == again
    assert monthly_series(random.Random(4), 48, 4.0) != first


def test_a_flag_explains_itself():
    counts = [2, 3, 1, 2, 4, 2, 3, 2, 1, 3, 2, 2, 3, 2, 2, 3, 1, 2, 20]
    months = month_starts(date(2024, 1, 1), len(counts))
    [rise] = warning.rises(counts, months)
    assert rise.month == date(2025, 7, 1)
    assert rise.observed == 20
    assert rise.baseline_months == 18
    assert (rise.baseline_first, rise.baseline_last) == (date(2024, 1, 1), date(2025, 6, 1))
    assert abs(rise.baseline_mean - (sum(counts[:-1]) + 0.5) / 18) < 1e-9
    assert rise.upper_limit <= 20
    assert rise.tail_probability < warning.ALPHA
    figures = rise.figures()
    assert figures["observed"] == 20 and figures["baseline_months"] == 18 and figures["method"] == "poisson"


def test_short_history_small_counts_and_ordinary_months_are_never_flagged():
    months = month_starts(date(2024, 1, 1), 13)
    assert warning.rises([0] * 10 + [9], months[:11]) == []  # fewer than 12 baseline months
    assert warning.rises([0] * 12 + [2], months) == []  # two incidents are never a rise
    assert warning.rises([5] * 12 + [6], months) == []
    assert [r.observed for r in warning.rises([0] * 12 + [4], months)] == [4]  # out of silence


def test_the_baseline_is_the_trailing_window_only():
    counts = [30] * 12 + [1] * warning.BASELINE_MONTHS + [12]
    months = month_starts(date(2020, 1, 1), len(counts))
    [rise] = warning.rises(counts, months, last=1)
    assert rise.baseline_first == months[12]
    assert rise.baseline_months == warning.BASELINE_MONTHS


def test_over_dispersed_baselines_widen_the_limit():
    steady = warning.expected_from([5] * 24)
    bursty = warning.expected_from([0, 10] * 12)
    assert steady.method == warning.POISSON and bursty.method == warning.NEGATIVE_BINOMIAL
    assert warning.upper_limit(bursty) > warning.upper_limit(steady)


@settings(max_examples=60, deadline=None)
@given(baseline=st.lists(st.integers(0, 60), min_size=1, max_size=24), observed=st.integers(0, 200))
def test_tail_probability_is_a_probability_and_falls_with_the_count(baseline, observed):
    expected = warning.expected_from(baseline)
    here, next_up = warning.tail_probability(expected, observed), warning.tail_probability(expected, observed + 1)
    assert 0.0 <= next_up <= here <= 1.0
    limit = warning.upper_limit(expected)
    assert warning.tail_probability(expected, limit) < warning.ALPHA


def test_poisson_draws_have_the_right_mean():
    rng = random.Random(1)
    for rate in (0.5, 7.0, 120.0):
        draws = [poisson(rng, rate) for _ in range(4000)]
        assert abs(sum(draws) / len(draws) - rate) < 4 * (rate / 4000) ** 0.5 + 0.01
