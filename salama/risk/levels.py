"""The overall level of a risk assessment: risk = threats x vulnerabilities / capacities.

A pure rule, with no database: it takes the scores of an assessment's items and returns one of
four named levels and the sentences that say how the level was reached, so a level is never an
unexplained number. docs/risk.md states the same rule for people.

1. Threats set the starting level. Only open and monitored threats count (closed ones do not).
   The highest likelihood x impact (1 to 25) gives: 1-4 low, 5-9 moderate, 10-15 high,
   16-25 critical. With no threat that counts, the level is low and nothing else matters.
2. Vulnerabilities raise it. Each has a severity (1 to 5); a capacity tied to it offsets it
   by its strength (the strongest one counts). What is left unoffset is added up: 5 to 11 raise
   the level one step, 12 or more two steps.
3. Capacities that are not tied to one vulnerability (general strengths: a network, training,
   a security routine) lower it: when their strengths add up to 6 or more, one step down.

The level never goes below low nor above critical. So adding an open threat or a vulnerability
never lowers the level, and adding a capacity never raises it (tests/test_levels.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

LOW, MODERATE, HIGH, CRITICAL = "low", "moderate", "high", "critical"
LEVEL_CODES = (LOW, MODERATE, HIGH, CRITICAL)  # lowest first
# In context: "High" as a level of risk takes another form than a case's "High" priority in
# languages with grammatical gender.
LEVEL_LABELS = {
    LOW: pgettext_lazy("risk level", "Low"),
    MODERATE: pgettext_lazy("risk level", "Moderate"),
    HIGH: pgettext_lazy("risk level", "High"),
    CRITICAL: pgettext_lazy("risk level", "Critical"),
}

# Highest threat score (likelihood x impact) from which each level starts.
THREAT_BANDS = ((16, CRITICAL), (10, HIGH), (5, MODERATE), (1, LOW))
EXPOSURE_ONE_STEP = 5  # unoffset severity from which the level goes one step up
EXPOSURE_TWO_STEPS = 12  # ... and two steps up
GENERAL_CAPACITY_STEP = 6  # total strength of general capacities from which it goes one step down
COUNTING_STATUSES = frozenset({"open", "monitoring"})


@dataclass(frozen=True)
class ThreatScore:
    likelihood: int  # 1 to 5
    impact: int  # 1 to 5
    status: str = "open"  # open, monitoring or closed; closed threats do not count

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


@dataclass(frozen=True)
class VulnerabilityScore:
    key: Hashable  # how capacities name it
    severity: int  # 1 to 5


@dataclass(frozen=True)
class CapacityScore:
    strength: int  # 1 to 5
    offsets: Hashable | None = None  # the key of the vulnerability it offsets, if any


@dataclass(frozen=True)
class RiskLevel:
    code: str
    explanation: list[str] = field(default_factory=list)
    threat_score: int = 0
    exposure: int = 0
    general_capacity: int = 0

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self.code])

    @property
    def rank(self) -> int:
        return LEVEL_CODES.index(self.code)


def label_of(code: str) -> str:
    return str(LEVEL_LABELS.get(code, code))


def trend(current: str, previous: str | None) -> str:
    """ "higher", "lower" or "same" than the previous level; "first" when there is none."""
    if not previous:
        return "first"
    difference = LEVEL_CODES.index(current) - LEVEL_CODES.index(previous)
    return "higher" if difference > 0 else "lower" if difference < 0 else "same"


def _starting_level(score: int) -> str:
    return next(level for floor, level in THREAT_BANDS if score >= floor)


def _shift(code: str, steps: int) -> str:
    rank = min(max(LEVEL_CODES.index(code) + steps, 0), len(LEVEL_CODES) - 1)
    return LEVEL_CODES[rank]


def _threat_line(counting: Sequence[ThreatScore], closed: int, start: str) -> str:
    top = max(counting, key=lambda threat: threat.score)
    line = ngettext(
        "%(count)d threat counts.",
        "%(count)d threats count.",
        len(counting),
    ) % {"count": len(counting)}
    if closed:
        line += " " + ngettext("%(closed)d closed threat does not.", "%(closed)d closed threats do not.", closed) % {
            "closed": closed
        }
    line += " " + _(
        "The highest scores %(score)d of 25 (likelihood %(likelihood)d, impact %(impact)d), "
        "which starts the risk at %(level)s."
    ) % {"score": top.score, "likelihood": top.likelihood, "impact": top.impact, "level": label_of(start)}
    return line


def _exposure(vulnerabilities: Sequence[VulnerabilityScore], capacities: Sequence[CapacityScore]) -> tuple[int, int]:
    """What is left unoffset, added up, and how many vulnerabilities have a capacity against them."""
    strongest: dict[Hashable, int] = {}
    for capacity in capacities:
        if capacity.offsets is not None:
            strongest[capacity.offsets] = max(strongest.get(capacity.offsets, 0), capacity.strength)
    exposure = sum(max(0, v.severity - strongest.get(v.key, 0)) for v in vulnerabilities)
    offset = sum(1 for v in vulnerabilities if v.key in strongest)
    return exposure, offset


def _vulnerability_line(count: int, offset: int, exposure: int, steps: int) -> str:
    if not count:
        return _("No vulnerability is recorded, so none raises the level.")
    line = ngettext(
        "%(count)d vulnerability, %(offset)d offset by a capacity; the severity left unoffset adds up to %(exposure)d.",
        "%(count)d vulnerabilities, %(offset)d offset by a capacity; the severity left unoffset adds up to "
        "%(exposure)d.",
        count,
    ) % {"count": count, "offset": offset, "exposure": exposure}
    if steps == 2:
        return line + " " + _("That is %(floor)d or more: two steps up.") % {"floor": EXPOSURE_TWO_STEPS}
    if steps == 1:
        return line + " " + _("That is %(floor)d or more: one step up.") % {"floor": EXPOSURE_ONE_STEP}
    return line + " " + _("That is under %(floor)d: no step up.") % {"floor": EXPOSURE_ONE_STEP}


def _capacity_line(general: Sequence[CapacityScore], total: int) -> str:
    if not general:
        return _("No general capacity is recorded (capacities tied to a vulnerability are counted there).")
    line = ngettext(
        "%(count)d general capacity has a strength of %(total)d.",
        "%(count)d general capacities have a total strength of %(total)d.",
        len(general),
    ) % {"count": len(general), "total": total}
    if total >= GENERAL_CAPACITY_STEP:
        return line + " " + _("That is %(floor)d or more: one step down.") % {"floor": GENERAL_CAPACITY_STEP}
    return line + " " + _("That is under %(floor)d: no step down.") % {"floor": GENERAL_CAPACITY_STEP}


def assess(
    threats: Sequence[ThreatScore],
    vulnerabilities: Sequence[VulnerabilityScore] = (),
    capacities: Sequence[CapacityScore] = (),
) -> RiskLevel:
    """The level and its explanation, one sentence per step of the rule."""
    counting = [threat for threat in threats if threat.status in COUNTING_STATUSES]
    if not counting:
        line = _("No open or monitored threat is recorded (closed threats do not count), so the risk is low.")
        return RiskLevel(LOW, [line])
    threat_score = max(threat.score for threat in counting)
    start = _starting_level(threat_score)
    exposure, offset = _exposure(vulnerabilities, capacities)
    up = 2 if exposure >= EXPOSURE_TWO_STEPS else 1 if exposure >= EXPOSURE_ONE_STEP else 0
    keys = {v.key for v in vulnerabilities}
    general = [c for c in capacities if c.offsets is None or c.offsets not in keys]
    general_total = sum(c.strength for c in general)
    down = 1 if general_total >= GENERAL_CAPACITY_STEP else 0
    code = _shift(start, up - down)
    lines = [
        _threat_line(counting, len(threats) - len(counting), start),
        _vulnerability_line(len(vulnerabilities), offset, exposure, up),
        _capacity_line(general, general_total),
        _("Risk = threats x vulnerabilities / capacities: the level is %(level)s.") % {"level": label_of(code)},
    ]
    return RiskLevel(code, lines, threat_score, exposure, general_total)
