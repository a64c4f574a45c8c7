"""The four submission drafts: what each requires before it can be made, and what it says.

Each kind follows the structure its recipient asks for: the UN Special Procedures'
communication questionnaire, the IACHR's precautionary-measures request (Rules of Procedure,
art. 25), a request for local action under the EU Guidelines on Human Rights Defenders, and the
emergency-grant application of the funds for defenders. Headings and fixed text are msgids in
English, rendered in the chosen language through Django's translation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Referral
from .facts import CaseFacts, Person, incidents_in_order

Block = tuple[str, str]  # (style, text): "title", "h", "p", "li"


@dataclass(frozen=True)
class Missing:
    message: str
    fix_url: str
    fix_label: str


@dataclass(frozen=True)
class Kind:
    code: str
    label: object  # lazy
    # A draft that would make the defenders' names public needs their consent to be named.
    public: bool
    required: Callable[[Referral], list[Missing]]
    build: Callable[[CaseFacts], list[Block]]


# -- required facts --------------------------------------------------------------------------


def _urls(referral: Referral) -> dict[str, str]:
    org, case = referral.case.organization.slug, referral.case_id
    return {
        "facts": reverse("referrals:edit", args=[org, referral.pk]),
        "incident_new": reverse("incidents:create", args=[org, case]),
    }


def _incident_url(referral: Referral, incident_id: object) -> str:
    return reverse("incidents:edit", args=[referral.case.organization.slug, referral.case_id, incident_id])


def _needs_incidents(referral: Referral, *, narrative: bool = True, perpetrators: bool = False) -> list[Missing]:
    urls = _urls(referral)
    incidents = incidents_in_order(referral)
    if not incidents:
        return [
            Missing(
                _("No incident is recorded on this case: record what happened, with its date."),
                urls["incident_new"],
                _("Record an incident"),
            )
        ]
    missing = []
    if narrative and all(not incident.narrative.strip() for incident in incidents):
        missing.append(
            Missing(
                _("No incident says what happened: write the narrative of at least one incident."),
                _incident_url(referral, incidents[0].pk),
                _("Edit the incident"),
            )
        )
    if perpetrators and not any(incident.perpetrators.exists() for incident in incidents):
        missing.append(
            Missing(
                _("No perpetrator is recorded on any incident: say who is responsible, even if unidentified."),
                _incident_url(referral, incidents[0].pk),
                _("Edit the incident"),
            )
        )
    return missing


def _needs_text(referral: Referral, field: str, message: str) -> list[Missing]:
    if str(getattr(referral, field) or "").strip():
        return []
    return [Missing(message, _urls(referral)["facts"], _("Complete the referral"))]


def _un_required(referral: Referral) -> list[Missing]:
    missing = _needs_incidents(referral, perpetrators=True)
    linked = bool(referral.link_to_work.strip()) or any(
        incident.relation_to_work.strip() for incident in incidents_in_order(referral)
    )
    if not linked:
        missing.append(
            Missing(
                _("The link between the violations and the human-rights work is not recorded: say it on the referral."),
                _urls(referral)["facts"],
                _("Complete the referral"),
            )
        )
    missing += _needs_text(
        referral, "domestic_remedies", _("No domestic remedy recorded: say what was tried or why not.")
    )
    return missing


def _iachr_required(referral: Referral) -> list[Missing]:
    return (
        _needs_incidents(referral)
        + _needs_text(
            referral,
            "urgency",
            _("Explain the seriousness, the urgency and the irreparable harm the request is about."),
        )
        + _needs_text(
            referral, "state_informed", _("Say whether the state was informed of the situation, and what it did.")
        )
    )


def _eu_required(referral: Referral) -> list[Missing]:
    return _needs_incidents(referral) + _needs_text(
        referral, "requested_action", _("Say which local action is asked of the embassies.")
    )


def _grant_required(referral: Referral) -> list[Missing]:
    missing = _needs_incidents(referral, narrative=False) + _needs_text(
        referral, "grant_need", _("Say what the grant is needed for.")
    )
    if referral.grant_amount is None or not referral.grant_currency:
        missing.append(
            Missing(
                _("No amount requested: give the amount and its currency."),
                _urls(referral)["facts"],
                _("Complete the referral"),
            )
        )
    return missing


# -- the text --------------------------------------------------------------------------------


def _not_stated() -> str:
    return _("Not stated.")


def _people(people: list[Person]) -> list[Block]:
    blocks: list[Block] = []
    for person in people:
        blocks.append(("li", person.name if person.named else _("%(name)s (pseudonym)") % {"name": person.name}))
        details = [
            _("Gender: %(value)s") % {"value": person.gender},
            _("Country: %(value)s") % {"value": person.country or _not_stated()},
        ]
        if person.sectors:
            details.append(_("Human-rights work: %(value)s") % {"value": ", ".join(person.sectors)})
        if person.contacts:
            details.append(_("Contact: %(value)s") % {"value": ", ".join(person.contacts)})
        elif not person.named:
            details.append(_("Identity and contact details withheld: no consent to share them in this document."))
        blocks.append(("p", " \u00b7 ".join(details)))
    return blocks


def _facts(facts: CaseFacts) -> list[Block]:
    blocks: list[Block] = []
    for number, incident in enumerate(facts.incidents, start=1):
        heading = f"{number}. {incident.when}"
        if incident.place:
            heading += f", {incident.place}"
        blocks.append(("li", f"{heading}: {incident.title}"))
        if incident.violations:
            blocks.append(("p", _("Violations: %(value)s") % {"value": ", ".join(incident.violations)}))
        if incident.victims:
            blocks.append(("p", _("Victims: %(value)s") % {"value": ", ".join(incident.victims)}))
        if incident.narrative.strip():
            blocks.append(("p", incident.narrative.strip()))
    return blocks


def _perpetrators(facts: CaseFacts) -> list[Block]:
    found = sorted({p for incident in facts.incidents for p in incident.perpetrators})
    return [("li", item) for item in found] or [("p", _not_stated())]


def _text(value: str) -> list[Block]:
    return [("p", value.strip() or _not_stated())]


def _submitted_by(facts: CaseFacts) -> list[Block]:
    referral = facts.referral
    return [
        ("h", _("Submitted by")),
        ("p", referral.case.organization.name),
        ("p", _("Our reference: %(reference)s") % {"reference": referral.case.reference}),
    ]


def _consent(facts: CaseFacts, public: bool) -> list[Block]:
    blocks: list[Block] = [("h", _("Consent"))]
    for person in facts.people:
        if person.named:
            given = formats.date_format(person.consent.given_on, "DATE_FORMAT") if person.consent else ""
            line = _("%(name)s consented on %(date)s to this information being shared with %(actor)s.") % {
                "name": person.name,
                "date": given,
                "actor": facts.referral.actor.name,
            }
            if public:
                line += " " + _("They also consented to being named publicly.")
        else:
            line = _("%(name)s asks not to be identified: please keep their identity confidential.") % {
                "name": person.name
            }
        blocks.append(("li", line))
    return blocks


def _title(facts: CaseFacts, kind_title: str) -> list[Block]:
    return [("title", kind_title), ("p", _("To: %(actor)s") % {"actor": facts.referral.actor.name})]


def _links_to_work(facts: CaseFacts) -> str:
    parts = [facts.referral.link_to_work.strip()]
    parts += [incident.relation_to_work.strip() for incident in facts.incidents]
    return "\n".join(part for part in parts if part)


def build_un(facts: CaseFacts) -> list[Block]:
    return [
        *_title(facts, _("Communication to the UN Special Procedures")),
        ("h", _("1. Alleged victim(s)")),
        *_people(facts.people),
        ("h", _("2. Alleged perpetrator(s)")),
        *_perpetrators(facts),
        ("h", _("3. Facts, in chronological order")),
        *_facts(facts),
        ("h", _("4. Link between the violations and the human-rights work")),
        *_text(_links_to_work(facts)),
        ("h", _("5. Domestic remedies tried")),
        *_text(facts.referral.domestic_remedies),
        *_submitted_by(facts),
        *_consent(facts, public=True),
    ]


def build_iachr(facts: CaseFacts) -> list[Block]:
    return [
        *_title(facts, _("Request for precautionary measures (Inter-American Commission on Human Rights)")),
        ("h", _("1. Proposed beneficiaries")),
        *_people(facts.people),
        ("h", _("2. Facts")),
        *_facts(facts),
        ("h", _("3. Seriousness, urgency and irreparable harm")),
        *_text(facts.referral.urgency),
        ("h", _("4. Whether the State was informed")),
        *_text(facts.referral.state_informed),
        ("h", _("5. Other proceedings")),
        *_text(facts.referral.other_proceedings),
        ("h", _("6. Alleged perpetrator(s)")),
        *_perpetrators(facts),
        *_submitted_by(facts),
        *_consent(facts, public=True),
    ]


def build_eu(facts: CaseFacts) -> list[Block]:
    return [
        *_title(facts, _("Request for local action under the EU Guidelines on Human Rights Defenders")),
        ("h", _("1. Defender(s) concerned")),
        *_people(facts.people),
        ("h", _("2. Situation")),
        *_facts(facts),
        ("h", _("3. Action requested")),
        *_text(facts.referral.requested_action),
        (
            "p",
            _(
                "The EU Guidelines on Human Rights Defenders provide for trial observation, visits to defenders "
                "in detention or at risk, public statements, raising the case with the authorities and "
                "facilitating emergency visas."
            ),
        ),
        ("h", _("4. Alleged perpetrator(s)")),
        *_perpetrators(facts),
        *_submitted_by(facts),
        *_consent(facts, public=False),
    ]


def build_grant(facts: CaseFacts) -> list[Block]:
    referral = facts.referral
    amount = ""
    if referral.grant_amount is not None:
        amount = f"{formats.number_format(referral.grant_amount, 2)} {referral.grant_currency}"
    lines: list[Block] = [("li", f"{title}: {cost}") for title, cost in facts.grant_lines]
    return [
        *_title(facts, _("Emergency grant application")),
        ("h", _("1. Beneficiaries")),
        *_people(facts.people),
        ("h", _("2. Situation and risk")),
        *_facts(facts),
        ("h", _("3. What the grant is needed for")),
        *_text(referral.grant_need),
        ("h", _("4. Amount requested")),
        ("p", amount),
        ("h", _("5. Budget lines")),
        *(lines or [("p", _("No costed protection measure is marked for a grant request."))]),
        *_submitted_by(facts),
        *_consent(facts, public=False),
    ]


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in [
        Kind(
            "un_sr_communication",
            gettext_lazy("Communication to the UN Special Rapporteur"),
            True,
            _un_required,
            build_un,
        ),
        Kind(
            "iachr_precautionary",
            gettext_lazy("IACHR precautionary measures request"),
            True,
            _iachr_required,
            build_iachr,
        ),
        Kind(
            "eu_embassy_request",
            gettext_lazy("Request to EU embassies for local action"),
            False,
            _eu_required,
            build_eu,
        ),
        Kind("grant_application", gettext_lazy("Emergency grant application"), False, _grant_required, build_grant),
    ]
}
