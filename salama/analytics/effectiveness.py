"""Response effectiveness: referrals and responses by actor and by type, how soon the first
response came, their outcomes, and what happened to the defenders afterwards.

Everything is counted from coded columns (actor, kind, status, outcome, dates); nothing
encrypted is opened. Each result is a `Table`, so the pages, the charts, the exports and the
printed report read it like any other aggregate, and small cells are suppressed the same way.

Time to first response:
  - a referral: from the day it was sent to the first sign that the actor took it up: the
    first change of status to acknowledged, accepted or declined, or the reply received,
    whichever came first;
  - a response: from the day it started to its first dated step (a disbursement, a visit, a
    hearing...). Relocation and medical support record no steps, so they show as "no step".

Afterwards: for each defender concerned by a response (a "follow-up"), the incidents they
suffered in the window after the day it started (the day itself excluded: the incident that
led to the response is usually dated then) and in the same span before (that day included). A
follow-up counts only once its whole window after has passed, so recent responses do not look
better than they are. This is an association, not an effect: responses go to the defenders at
most risk, incidents are recorded unevenly, and the same window measures other changes too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.directory.models import ProtectionActor
from salama.incidents.models import Victim
from salama.referrals.models import Referral, ReferralEvent
from salama.responses.models import Kind, Outcome, Response, ResponseStep

from .tables import FOLLOW_UPS, INCIDENTS, REFERRALS, RESPONSES, Axis, Table

# Windows offered for "afterwards", in months, each as a number of days.
WINDOWS = {6: 183, 12: 365}
DEFAULT_WINDOW = 12

# Days to the first response, as columns: (key, upper bound in days or None for "and more").
DAY_BUCKETS: tuple[tuple[str, int | None], ...] = (("0-7", 7), ("8-30", 30), ("31-90", 90), ("91+", None))
NO_REPLY, NO_STEP, PENDING, NO_ACTOR = "no_reply", "no_step", "pending", "none"
BEFORE, AFTER = "before", "after"
QUIET, NOT_QUIET = "no_new_incident", "new_incident"

# The statuses that show the actor took the referral up.
TAKEN_UP = (Referral.Status.ACKNOWLEDGED, Referral.Status.ACCEPTED, Referral.Status.DECLINED)


def min_cell() -> int:
    return max(1, int(getattr(settings, "SALAMA_ANALYTICS_MIN_CELL", 5)))


@dataclass(frozen=True)
class Timing:
    """Days to the first response by row, with each row's median (None when hidden or empty)."""

    table: Table
    medians: tuple[float | None, ...]


@dataclass(frozen=True)
class Effectiveness:
    referral_outcomes: Table
    referral_times: Timing
    response_outcomes: Table
    response_times: Timing
    incidents_around: Table  # incidents before and after, by kind of response
    defenders_after: Table  # follow-ups with and without a new incident, by kind of response
    window_months: int
    k: int

    @property
    def tables(self) -> tuple[Table, ...]:
        return (
            self.referral_outcomes,
            self.referral_times.table,
            self.response_outcomes,
            self.response_times.table,
            self.incidents_around,
            self.defenders_after,
        )

    def quiet_shares(self) -> list[tuple[str, float | None]]:
        """Per kind of response, the share of follow-ups with no new incident (None if hidden)."""
        table = self.defenders_after
        shares = []
        for row, label in enumerate(table.rows.labels):
            quiet, total = table.cell(row, 0), table.row_totals[row]
            hidden = quiet is None or (row, -1) in table.suppressed
            shares.append((label, None if hidden or not total else (quiet or 0) / total))
        return shares


# --- building tables ---------------------------------------------------------------------------


def _table(
    unit: str,
    rows: Axis,
    columns: Axis,
    items: Sequence[tuple[Hashable, Hashable]],
    notes: Sequence[str] = (),
    weights: Sequence[int] | None = None,
) -> Table:
    """A table of (row key, column key) items; each value in one cell, so cells add up."""
    counts: Counter[tuple[Hashable, Hashable]] = Counter()
    for index, item in enumerate(items):
        counts[item] += 1 if weights is None else weights[index]
    grid = tuple(tuple(counts[(r, c)] for c in columns.keys) for r in rows.keys)
    return Table(
        unit=unit,
        rows=rows,
        columns=columns,
        counts=grid,
        row_totals=tuple(sum(row) for row in grid),
        column_totals=tuple(sum(row[c] for row in grid) for c in range(len(columns.keys))),
        total=sum(sum(row) for row in grid),
        notes=tuple(notes),
    )


def _rows_axis(dimension: str, label: str, keys: Collection[str], labelled: Callable[[str], str]) -> Axis:
    ordered = sorted(keys, key=lambda key: (key == NO_ACTOR, labelled(key).casefold()))
    return Axis(dimension, label, tuple(ordered), tuple(labelled(key) for key in ordered))


def _days_axis(no_answer: str, no_answer_label: str) -> Axis:
    keys = tuple(key for key, _bound in DAY_BUCKETS)
    labels = tuple(_("%(span)s days") % {"span": key} for key in keys)
    return Axis("days", _("Days to the first response"), (*keys, no_answer), (*labels, no_answer_label))


def _bucket(days: int | None, no_answer: str) -> str:
    if days is None:
        return no_answer
    for key, bound in DAY_BUCKETS:
        if bound is None or days <= bound:
            return key
    return DAY_BUCKETS[-1][0]


def _medians(rows: Axis, days_by_row: dict[str, list[int]], k: int) -> tuple[float | None, ...]:
    # A median of fewer than k values would describe too few referrals to be shown.
    return tuple(float(median(days_by_row[key])) if len(days_by_row[key]) >= k else None for key in rows.keys)


def _suppressed(table: Table, k: int) -> Table:
    from salama.analytics.suppression import suppress

    return suppress(table, k)


# --- referrals --------------------------------------------------------------------------------


def _actor_labels() -> dict[str, str]:
    return {str(pk): name for pk, name in ProtectionActor.objects.values_list("pk", "name")}


def _actor_kind_label(key: str) -> str:
    return str(dict(ProtectionActor.Kind.choices).get(key, _("No actor recorded")))


def _referral_rows(by: str) -> tuple[str, str, Callable[[dict[str, Any]], str], Callable[[str], str]]:
    if by == "actor_kind":
        return "actor_kind", _("Kind of actor"), lambda r: r["actor__kind"] or NO_ACTOR, _actor_kind_label
    names = _actor_labels()
    return (
        "actor",
        _("Actor or mechanism"),
        lambda r: str(r["actor_id"]) if r["actor_id"] else NO_ACTOR,
        lambda key: names.get(key, _("No actor recorded")),
    )


def _first_taken_up(referral_ids: Collection[Any]) -> dict[Any, date]:
    first: dict[Any, date] = {}
    events = ReferralEvent.objects.filter(
        referral_id__in=referral_ids, kind=ReferralEvent.Kind.STATUS, new_status__in=TAKEN_UP
    ).values_list("referral_id", "at")
    for referral_id, at in events:
        day = timezone.localdate(at)
        if referral_id not in first or day < first[referral_id]:
            first[referral_id] = day
    return first


def _sent_referrals(
    organization_ids: Collection[Any], date_from: date | None, date_to: date | None
) -> list[dict[str, Any]]:
    queryset = Referral.objects.filter(organization_id__in=organization_ids, sent_on__isnull=False)
    if date_from:
        queryset = queryset.filter(sent_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(sent_on__lte=date_to)
    return [
        dict(row) for row in queryset.values("pk", "actor_id", "actor__kind", "sent_on", "reply_received_on", "outcome")
    ]


def referral_tables(
    organization_ids: Collection[Any], *, by: str = "actor", date_from: date | None = None, date_to: date | None = None
) -> tuple[Table, Table, dict[str, list[int]]]:
    """Sent referrals by actor (or kind of actor) x outcome, and x days to the first response."""
    referrals = _sent_referrals(organization_ids, date_from, date_to)
    dimension, label, row_of, labelled = _referral_rows(by)
    rows = _rows_axis(dimension, label, {row_of(r) for r in referrals}, labelled)
    outcomes = Axis(
        "outcome",
        _("Outcome"),
        (*Referral.Outcome.values, PENDING),
        (*(str(lbl) for lbl in Referral.Outcome.labels), _("No outcome yet")),
    )
    taken_up = _first_taken_up([r["pk"] for r in referrals])
    days_by_row: dict[str, list[int]] = defaultdict(list)
    timed = []
    for referral in referrals:
        answers = [day for day in (taken_up.get(referral["pk"]), referral["reply_received_on"]) if day]
        days = max(0, (min(answers) - referral["sent_on"]).days) if answers else None
        if days is not None:
            days_by_row[row_of(referral)].append(days)
        timed.append((row_of(referral), _bucket(days, NO_REPLY)))
    note = _("Referrals sent, by the date they were sent.")
    outcome_table = _table(REFERRALS, rows, outcomes, [(row_of(r), r["outcome"] or PENDING) for r in referrals], [note])
    times_note = _(
        "Days from sending to the first status of acknowledged, accepted or declined, or the reply, "
        "whichever came first."
    )
    times_table = _table(REFERRALS, rows, _days_axis(NO_REPLY, _("No reply yet")), timed, [note, times_note])
    return outcome_table, times_table, days_by_row


# --- responses --------------------------------------------------------------------------------


def _response_rows(by: str) -> tuple[str, str, Callable[[dict[str, Any]], str], Callable[[str], str]]:
    if by == "actor":
        names = _actor_labels()
        return (
            "actor",
            _("Actor"),
            lambda r: str(r["actor_id"]) if r["actor_id"] else NO_ACTOR,
            lambda key: names.get(key, _("No actor recorded")),
        )
    kinds = dict(Kind.choices)
    return "response_kind", _("Kind of response"), lambda r: r["kind"], lambda key: str(kinds.get(key, key))


def _started_responses(
    organization_ids: Collection[Any], date_from: date | None, date_to: date | None
) -> list[dict[str, Any]]:
    queryset = Response.objects.filter(organization_id__in=organization_ids, started_on__isnull=False).exclude(
        status=Response.Status.CANCELLED
    )
    if date_from:
        queryset = queryset.filter(started_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(started_on__lte=date_to)
    return [dict(row) for row in queryset.values("pk", "kind", "actor_id", "started_on", "outcome")]


def _first_steps(response_ids: Collection[Any]) -> dict[Any, date]:
    first: dict[Any, date] = {}
    for response_id, day in ResponseStep.objects.filter(response_id__in=response_ids).values_list(
        "response_id", "occurred_on"
    ):
        if response_id not in first or day < first[response_id]:
            first[response_id] = day
    return first


def response_tables(
    organization_ids: Collection[Any], *, by: str = "kind", date_from: date | None = None, date_to: date | None = None
) -> tuple[Table, Table, dict[str, list[int]], list[dict[str, Any]]]:
    """Started responses by kind (or actor) x outcome, and x days to the first step."""
    responses = _started_responses(organization_ids, date_from, date_to)
    dimension, label, row_of, labelled = _response_rows(by)
    rows = _rows_axis(dimension, label, {row_of(r) for r in responses}, labelled)
    outcomes = Axis(
        "outcome",
        _("Outcome"),
        (*Outcome.values, PENDING),
        (*(str(lbl) for lbl in Outcome.labels), _("No outcome yet")),
    )
    first_steps = _first_steps([r["pk"] for r in responses])
    days_by_row: dict[str, list[int]] = defaultdict(list)
    timed = []
    for response in responses:
        step = first_steps.get(response["pk"])
        days = max(0, (step - response["started_on"]).days) if step else None
        if days is not None:
            days_by_row[row_of(response)].append(days)
        timed.append((row_of(response), _bucket(days, NO_STEP)))
    note = _("Responses that started (cancelled ones left out), by the date they started.")
    outcome_table = _table(RESPONSES, rows, outcomes, [(row_of(r), r["outcome"] or PENDING) for r in responses], [note])
    times_note = _("Days from the start of the response to its first dated step.")
    times_table = _table(RESPONSES, rows, _days_axis(NO_STEP, _("No step recorded")), timed, [note, times_note])
    return outcome_table, times_table, days_by_row, responses


# --- afterwards -------------------------------------------------------------------------------


def _incident_days(organization_ids: Collection[Any], defender_ids: Collection[Any]) -> dict[Any, dict[Any, date]]:
    """Per defender, the incidents they suffered (id -> date), counted once each."""
    days: dict[Any, dict[Any, date]] = defaultdict(dict)
    victims = Victim.objects.filter(
        defender_id__in=defender_ids, incident__organization_id__in=organization_ids
    ).values_list("defender_id", "incident_id", "incident__date_start")
    for defender_id, incident_id, day in victims:
        days[defender_id][incident_id] = day
    return days


def afterwards_tables(
    organization_ids: Collection[Any],
    responses: list[dict[str, Any]],
    *,
    rows_of: Callable[[dict[str, Any]], str],
    rows: Axis,
    window_days: int,
    today: date,
) -> tuple[Table, Table]:
    """Incidents before/after and follow-ups with/without a new incident, per row of responses."""
    complete = {r["pk"]: r for r in responses if r["started_on"] + timedelta(days=window_days) <= today}
    pairs = list(
        Response.defenders.through.objects.filter(response_id__in=complete).values_list("response_id", "defender_id")
    )
    incidents = _incident_days(organization_ids, {defender_id for _response, defender_id in pairs})
    around, after = [], []
    around_weights = []
    for response_id, defender_id in pairs:
        response = complete[response_id]
        start, row = response["started_on"], rows_of(response)
        window = timedelta(days=window_days)
        dates = incidents.get(defender_id, {}).values()
        before_count = sum(1 for day in dates if start - window <= day <= start)
        after_count = sum(1 for day in dates if start < day <= start + window)
        around += [(row, BEFORE), (row, AFTER)]
        around_weights += [before_count, after_count]
        after.append((row, QUIET if after_count == 0 else NOT_QUIET))
    months = next(m for m, d in WINDOWS.items() if d == window_days) if window_days in WINDOWS.values() else 0
    span = _("%(months)s months") % {"months": months} if months else _("%(days)s days") % {"days": window_days}
    window_note = _(
        "Each defender concerned by a response is followed for %(span)s after the day it started and "
        "the same span before; only responses whose whole window has passed are counted."
    ) % {"span": span}
    caveat = _("An association, not an effect: responses go to the defenders most at risk.")
    around_table = _table(
        INCIDENTS,
        rows,
        Axis("period", _("Period"), (BEFORE, AFTER), (_("Before"), _("After"))),
        around,
        [window_note, _("An incident is counted once per defender and response."), caveat],
        weights=around_weights,
    )
    after_table = _table(
        FOLLOW_UPS,
        rows,
        Axis("afterwards", _("Afterwards"), (QUIET, NOT_QUIET), (_("No new incident"), _("New incident"))),
        after,
        [window_note, caveat],
    )
    return around_table, after_table


# --- the whole view ---------------------------------------------------------------------------


def effectiveness(
    organization_ids: Collection[Any],
    *,
    referrals_by: str = "actor",
    responses_by: str = "kind",
    date_from: date | None = None,
    date_to: date | None = None,
    window_months: int = DEFAULT_WINDOW,
    today: date | None = None,
    k: int | None = None,
) -> Effectiveness:
    """The response-effectiveness tables of the given organisations, small cells suppressed."""
    k = min_cell() if k is None else k
    today = today or timezone.localdate()
    referral_outcomes, referral_times, referral_days = referral_tables(
        organization_ids, by=referrals_by, date_from=date_from, date_to=date_to
    )
    response_outcomes, response_times, response_days, responses = response_tables(
        organization_ids, by=responses_by, date_from=date_from, date_to=date_to
    )
    _dimension, _label, row_of, _labelled = _response_rows(responses_by)
    around, after = afterwards_tables(
        organization_ids,
        responses,
        rows_of=row_of,
        rows=response_outcomes.rows,
        window_days=WINDOWS[window_months],
        today=today,
    )
    return Effectiveness(
        referral_outcomes=_suppressed(referral_outcomes, k),
        referral_times=Timing(_suppressed(referral_times, k), _medians(referral_times.rows, referral_days, k)),
        response_outcomes=_suppressed(response_outcomes, k),
        response_times=Timing(_suppressed(response_times, k), _medians(response_times.rows, response_days, k)),
        incidents_around=_suppressed(around, k),
        defenders_after=_suppressed(after, k),
        window_months=window_months,
        k=k,
    )
