"""Revisions of incidents and the edit page: what each change keeps (rows included), the form
round trip without JavaScript with protected details hidden or revealed for the form, sealed
values in the history, need to know, and crypto-shredding on delete."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from salama.audit.models import AuditEntry
from salama.cases.actions import do_add_team_member, do_open_case
from salama.core.encryption import DecryptionError
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender
from salama.incidents import actions
from salama.incidents.models import Incident
from salama.revisions.access import revisions_of
from salama.revisions.models import Revision
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term

NARRATIVE = "CANARY-narrative-Hx41"
NEW_NARRATIVE = "CANARY-narrative-Hx42"
ACTOR = "CANARY-colonel-Hx43"
NEW_ACTOR = "CANARY-major-Hx44"
OTHER_VICTIM = "CANARY-victim-Hx45"
COMMENT = "CANARY-comment-Hx46"
CANARIES = (NARRATIVE, NEW_NARRATIVE, ACTOR, NEW_ACTOR, OTHER_VICTIM, COMMENT)


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


@pytest.fixture
def incident(cast: Any) -> Incident:
    """Recorded by a caseworker on the case's team: a defender and someone else as victims, a
    named perpetrator, a source."""
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Ana")
    case = do_open_case(admin, title="Case one", defenders=[defender])
    do_add_team_member(admin, case, cast.a_caseworker_team)
    return actions.do_record_incident(
        cast.membership("a_caseworker_team"),
        case,
        title="Shots at the office",
        date_start=date(2024, 3, 1),
        country="CO",
        narrative=NARRATIVE,
        acts=[{"violation": term("violation-types", "attempted-killing"), "victim": 0}],
        victims=[{"defender": defender}, {"other_name": OTHER_VICTIM, "status": term("victim-status", "injured")}],
        perpetrators=[{"type": term("perpetrator-types", "police"), "named_actor": ACTOR}],
        sources=[{"kind": "witness", "reliability": term("source-reliability", "likely-reliable")}],
    )


def url(name: str, incident: Incident, org: str = "org-a") -> str:
    return reverse(name, args=[org, incident.case_id, incident.pk])


def as_posted(context: Any, **changes: Any) -> dict[str, Any]:
    """The edit page's form as a browser would send it back untouched, then `changes`."""
    data: dict[str, Any] = {}
    forms = [context["form"], context["comment_form"]]
    for formset in context["formsets"].values():
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and value is not False and value != "":
                data[field.html_name] = str(value)
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def raw_revisions() -> str:
    with connection.cursor() as cursor:
        cursor.execute('SELECT * FROM "revisions_revision"')
        return repr(cursor.fetchall())


def test_recording_keeps_revision_one_with_the_rows_coded_and_their_details_sealed(cast, incident):
    (first,) = revisions_of(incident)
    assert first.number == 1 and first.author == cast.a_caseworker_team
    assert {"title", "date_start", "country", "narrative", "acts", "victims", "sources"} <= set(first.fields)
    assert first.public_changes["acts"]["new"] == [{"violation": "attempted-killing", "method": None, "victim": 1}]
    assert first.public_changes["victims"]["new"][1] == {"defender": None, "status": "injured"}
    assert first.public_changes["perpetrators"]["new"] == [{"type": "police", "involvement": None}]
    assert first.public_changes["sources"]["new"] == [{"kind": "witness", "reliability": "likely-reliable"}]
    assert first.sealed_changes["victim_names"]["new"] == {"2": OTHER_VICTIM}
    assert first.sealed_changes["perpetrator_names"]["new"] == {"1": ACTOR}
    assert first.sealed_changes["narrative"]["new"] == NARRATIVE
    assert "source_descriptions" not in first.fields  # nothing was described
    dump = raw_revisions()
    assert not any(canary in dump for canary in CANARIES)


def test_editing_through_the_page_without_javascript(cast, as_user, incident):
    client = as_user(cast.a_caseworker_team)
    page = client.get(url("incidents:edit", incident))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="Shots at the office"' in content and 'value="2024-03-01"' in content
    assert not any(canary in content for canary in CANARIES)  # hidden until revealed
    assert not AuditEntry.objects.filter(action="incident.revealed").exists()
    # Sent back untouched: nothing changes, the hidden details included, and no revision.
    assert client.post(url("incidents:edit", incident), as_posted(page.context)).status_code == 302
    assert revisions_of(incident).count() == 1
    # "Add another perpetrator" is a round trip that keeps what was typed.
    typed = as_posted(page.context, title="Shots at the union office")
    more = client.post(url("incidents:edit", incident), {**typed, "more": "perpetrators"})
    assert more.status_code == 200
    assert 'name="perpetrators-TOTAL_FORMS" value="2"' in more.content.decode()
    assert 'value="Shots at the union office"' in more.content.decode()
    changes = {
        "place": "Popayán",
        "perpetrators-1-type": str(term("perpetrator-types", "police").pk),
        "perpetrators-1-named_actor": NEW_ACTOR,
        "comment": COMMENT,
    }
    saved = client.post(url("incidents:edit", incident), as_posted(more.context, **changes))
    assert saved.status_code == 302 and saved["Location"] == url("incidents:detail", incident)
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.title, incident.place, incident.narrative) == ("Shots at the union office", "Popayán", NARRATIVE)
    assert [p.named_actor for p in incident.perpetrators.all()] == [ACTOR, NEW_ACTOR]
    assert [v.other_name for v in incident.victims.all()] == ["", OTHER_VICTIM]
    latest = revisions_of(incident).first()
    assert latest is not None and latest.number == 2 and latest.author == cast.a_caseworker_team
    assert latest.fields == ["title", "place", "perpetrators", "perpetrator_names"]
    assert latest.public_changes["title"] == {"old": "Shots at the office", "new": "Shots at the union office"}
    assert latest.sealed_changes["perpetrator_names"] == {"old": {"1": ACTOR}, "new": {"1": ACTOR, "2": NEW_ACTOR}}
    assert latest.comment == COMMENT


def test_removing_a_row_whose_details_are_hidden(cast, as_user, incident):
    client = as_user(cast.a_caseworker_team)
    page = client.get(url("incidents:edit", incident))
    # The victim known only by a hidden name looks blank: it is removed by ticking the box.
    form = as_posted(page.context, **{"victims-1-DELETE": "on"})
    assert client.post(url("incidents:edit", incident), form).status_code == 302
    assert [v.defender is not None for v in incident.victims.all()] == [True]
    latest = revisions_of(incident).first()
    assert latest is not None and latest.fields == ["victims", "victim_names"]


def test_revealing_in_the_edit_form_is_audited_and_lets_a_detail_be_erased(cast, as_user, incident):
    client = as_user(cast.a_caseworker_team)
    page = client.post(url("incidents:edit", incident), {"reveal": "1"})
    assert page.status_code == 200
    content = page.content.decode()
    assert NARRATIVE in content and ACTOR in content and OTHER_VICTIM in content
    entry = AuditEntry.objects.get(action="incident.revealed")
    assert entry.actor == cast.a_caseworker_team and "narrative" in entry.changes
    assert "perpetrator_names" in entry.changes and "victim_names" in entry.changes
    # Shown, an emptied protected field is erased; an edited one replaced.
    form = as_posted(page.context, narrative=None, **{"perpetrators-0-named_actor": NEW_ACTOR})
    assert client.post(url("incidents:edit", incident), form).status_code == 302
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.narrative == "" and [p.named_actor for p in incident.perpetrators.all()] == [NEW_ACTOR]
    assert [v.other_name for v in incident.victims.all()] == ["", OTHER_VICTIM]
    latest = revisions_of(incident).first()
    assert latest is not None and latest.fields == ["narrative", "perpetrator_names"]


def test_history_hides_sealed_values_from_a_viewer_and_shows_them_on_an_audited_reveal(cast, as_user, incident):
    actions.do_update_incident(
        cast.membership("a_coordinator"),
        incident,
        narrative=NEW_NARRATIVE,
        acts=[{"violation": term("violation-types", "death-threats")}],
        perpetrators=[{"type": term("perpetrator-types", "police"), "named_actor": NEW_ACTOR}],
        comment=COMMENT,
    )
    do_add_team_member(cast.membership("a_admin"), incident.case, cast.a_viewer)
    viewer = as_user(cast.a_viewer)
    page = viewer.get(url("incidents:history", incident)).content.decode()
    assert "Revision 2" in page and "changed (hidden)" in page and "Narrative" in page
    assert "<ins>Act 1: Death threats</ins>" in page  # coded rows read in clear, by label
    assert "<del>Victim 1: Ana</del>" in page  # the victims were replaced (none now)
    assert not any(canary in page for canary in CANARIES)
    assert "Reveal protected changes" not in page
    assert viewer.post(url("incidents:history", incident)).status_code == 403
    assert not AuditEntry.objects.filter(action="incident.revealed").exists()

    caseworker = as_user(cast.a_caseworker_team)
    hidden = caseworker.get(url("incidents:history", incident)).content.decode()
    assert "Reveal protected changes" in hidden and not any(canary in hidden for canary in CANARIES)
    shown = caseworker.post(url("incidents:history", incident)).content.decode()
    for canary in (NARRATIVE, NEW_NARRATIVE, f"Perpetrator 1: {ACTOR}", NEW_ACTOR, OTHER_VICTIM, COMMENT):
        assert canary in shown
    entry = AuditEntry.objects.get(action="incident.revealed")
    assert entry.actor == cast.a_caseworker_team and entry.target_id == str(incident.pk)
    assert entry.changes == {name: {} for name in ("history", "narrative", "perpetrator_names", "victim_names")}
    detail = viewer.get(url("incidents:detail", incident)).content.decode()
    assert url("incidents:history", incident) in detail and url("incidents:edit", incident) not in detail


def test_off_the_team_or_another_organisation_cannot_reach_edit_or_history(cast, as_user, incident):
    for name in ("incidents:edit", "incidents:history"):
        outsider = as_user(cast.a_caseworker_other)
        assert outsider.get(url(name, incident)).status_code == 404
        assert outsider.post(url(name, incident), {"reveal": "1"}).status_code == 404
        assert as_user(cast.b_admin).get(url(name, incident, org="org-b")).status_code == 404
    do_add_team_member(cast.membership("a_admin"), incident.case, cast.a_viewer)
    assert as_user(cast.a_viewer).get(url("incidents:edit", incident)).status_code == 403
    assert not AuditEntry.objects.filter(action="incident.revealed").exists()
    assert revisions_of(incident).count() == 1


def test_an_api_patch_keeps_a_revision(cast, client, incident):
    def patch(body: dict[str, Any]) -> Any:
        api = f"/api/v1/organizations/org-a/incidents/{incident.pk}"
        headers = bearer(cast.tokens["a_caseworker_team"])
        return client.patch(api, json.dumps(body), content_type="application/json", **headers)

    assert patch({"place": "Cali"}).status_code == 200
    assert patch({"date_precision": None}).status_code == 400  # a field that cannot be empty
    latest = revisions_of(incident).first()
    assert latest is not None and latest.fields == ["place"] and latest.public_changes["place"]["new"] == "Cali"


def test_deleting_the_incident_shreds_its_revisions(cast, incident, django_capture_on_commit_callbacks):
    actions.do_update_incident(cast.membership("a_admin"), incident, narrative=NEW_NARRATIVE, comment=COMMENT)
    saved = list(Revision.objects.filter(target_id=str(incident.pk)).values())
    assert len(saved) == 2
    copies = [
        (Revision(**{k: r[k] for k in ("id", "organization_id", "data_key_id", "record_version")}), r["sealed_changes"])
        for r in saved
    ]
    for copy, sealed in copies:
        copy.open_value("sealed_changes", sealed)  # opens while the incident exists
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_delete_incident(cast.membership("a_admin"), incident)
    assert not Revision.objects.filter(target_id=str(incident.pk)).exists()
    for copy, sealed in copies:
        with pytest.raises(DecryptionError):
            copy.open_value("sealed_changes", sealed)
