"""Early warning: is this month's count of incidents unusually high against its own past?

Pure statistics over one monthly series of counts (one country x sector of one organisation),
standard library only, so the method can be tested on thousands of generated series without a
database. docs/analytics.md ("Early warning") states the method and why it was chosen.

The method, in short: a negative-binomial upper control limit on a trailing baseline.

* The baseline is the BASELINE_MONTHS months before the month judged (fewer when the series is
  younger, but at least MIN_BASELINE_MONTHS). The month itself is never part of its baseline.
* Counts of incidents per country and sector are small and over-dispersed (violence comes in
  waves, and one event brings several incidents), so the expected distribution is a negative
  binomial with the baseline's mean and variance, never narrower than a Poisson. The variance
  also carries the uncertainty of a mean estimated from a few months (mean / months), which
  keeps short baselines from raising alarms on noise.
* A month is flagged when the probability of seeing at least its count under that distribution
  is below ALPHA, and the count is at least MIN_COUNT (one or two incidents are never a rise).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

BASELINE_MONTHS = 24
MIN_BASELINE_MONTHS = 12
ALPHA = 0.005  # the tail probability below which a month is unusual
MIN_COUNT = 3
# A baseline of only zeros has mean 0: the half incident of a Jeffreys prior keeps the expected
# distribution from being a point mass, so a first few incidents are judged, not infinitely rare.
PRIOR_INCIDENTS = 0.5

POISSON = "poisson"
NEGATIVE_BINOMIAL = "negative_binomial"


@dataclass(frozen=True)
class Expected:
    """What the baseline leads one to expect of a month."""

    mean: float  # the baseline's mean per month (with the prior's half incident)
    variance: float  # the variance used: over-dispersion and the mean's own uncertainty included
    months: int  # how many months the baseline holds
    method: str  # POISSON or NEGATIVE_BINOMIAL


@dataclass(frozen=True)
class Rise:
    """One unusual month, with everything needed to explain it."""

    month: date
    observed: int
    baseline_mean: float
    baseline_variance: float
    upper_limit: int  # the smallest count that would have been flagged
    tail_probability: float  # P(count >= observed) under the baseline
    baseline_first: date
    baseline_last: date
    baseline_months: int
    method: str

    @property
    def ratio(self) -> float:
        """Observed over expected."""
        return self.observed / self.baseline_mean if self.baseline_mean else math.inf

    def figures(self) -> dict[str, object]:
        """The explanation as plain JSON values (stored with a flag)."""
        return {
            "observed": self.observed,
            "baseline_mean": round(self.baseline_mean, 3),
            "baseline_variance": round(self.baseline_variance, 3),
            "upper_limit": self.upper_limit,
            "tail_probability": float(f"{self.tail_probability:.3g}"),
            "baseline_first": self.baseline_first.isoformat(),
            "baseline_last": self.baseline_last.isoformat(),
            "baseline_months": self.baseline_months,
            "method": self.method,
            "alpha": ALPHA,
        }


def expected_from(baseline: Sequence[int]) -> Expected:
    months = len(baseline)
    if months < 1:
        raise ValueError("a baseline holds at least one month")
    mean = (sum(baseline) + PRIOR_INCIDENTS) / months
    spread = statistics.variance(baseline) if months > 1 else mean
    # Never narrower than a Poisson; plus the variance of a mean estimated from `months` months.
    variance = max(spread, mean) + mean / months
    method = NEGATIVE_BINOMIAL if spread > mean else POISSON
    return Expected(mean=mean, variance=variance, months=months, method=method)


def tail_probability(expected: Expected, observed: int) -> float:
    """P(X >= observed) for X negative binomial with the expected mean and variance."""
    if observed <= 0:
        return 1.0
    below = sum(_pmf(expected, k) for k in range(observed))
    return max(0.0, 1.0 - below) if below < 0.5 else _upper_sum(expected, observed)


def upper_limit(expected: Expected, alpha: float = ALPHA) -> int:
    """The smallest count c with P(X >= c) < alpha (and at least MIN_COUNT)."""
    count, cumulative = 0, 0.0
    while True:
        # P(X >= count) = 1 - P(X < count)
        if count >= MIN_COUNT and 1.0 - cumulative < alpha:
            return count
        cumulative += _pmf(expected, count)
        count += 1


def judge(counts: Sequence[int], index: int, months: Sequence[date]) -> Rise | None:
    """The rise at `index` of a series (counts with their months), or None when it is ordinary."""
    start = max(0, index - BASELINE_MONTHS)
    baseline = counts[start:index]
    observed = counts[index]
    if len(baseline) < MIN_BASELINE_MONTHS or observed < MIN_COUNT:
        return None
    expected = expected_from(baseline)
    if observed <= expected.mean:
        return None
    probability = tail_probability(expected, observed)
    if probability >= ALPHA:
        return None
    return Rise(
        month=months[index],
        observed=observed,
        baseline_mean=expected.mean,
        baseline_variance=expected.variance,
        upper_limit=upper_limit(expected),
        tail_probability=probability,
        baseline_first=months[start],
        baseline_last=months[index - 1],
        baseline_months=len(baseline),
        method=expected.method,
    )


def rises(counts: Sequence[int], months: Sequence[date], *, last: int | None = None) -> list[Rise]:
    """Every unusual month of a series, or of its `last` months only (what a daily job needs)."""
    if len(counts) != len(months):
        raise ValueError("one month per count")
    first = 0 if last is None else max(0, len(counts) - last)
    found = (judge(counts, index, months) for index in range(first, len(counts)))
    return [rise for rise in found if rise is not None]


# -- the distribution ----------------------------------------------------------------------------


def _pmf(expected: Expected, k: int) -> float:
    mean, variance = expected.mean, expected.variance
    if variance <= mean * (1 + 1e-9):
        return math.exp(k * math.log(mean) - mean - math.lgamma(k + 1))
    # Negative binomial with size r and success probability p: mean r(1-p)/p, variance mean/p.
    p = mean / variance
    r = mean * p / (1 - p)
    log_pmf = math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log(p) + k * math.log1p(-p)
    return math.exp(log_pmf)


def _upper_sum(expected: Expected, observed: int) -> float:
    """P(X >= observed) summed from the tail itself, precise when it is small."""
    total, k = 0.0, observed
    while True:
        term = _pmf(expected, k)
        total += term
        if term < total * 1e-12 or term == 0.0:
            return min(1.0, total)
        k += 1
