"""History pages. `history_response` is generic; each tracked app adds a thin view that fetches
its record through its own access helper and names its reveal permission and audit action."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from salama.audit.actions import Target
from salama.core.encryption import DecryptionError, EncryptedModel
from salama.core.permissions import role_can
from salama.orgs.models import Membership

from .access import revisions_of
from .actions import do_reveal_history
from .diff import changes_of


def history_response(
    request: HttpRequest,
    record: EncryptedModel,
    *,
    reveal_permission: str,
    reveal_action: str,
    target: Target,
    back_url: str,
    reveal_url: str,
) -> HttpResponse:
    """GET lists the history with encrypted values hidden; POST reveals them, audited first.
    Revealed values are in this response only, never kept in the session or a URL."""
    me: Membership = request.membership  # type: ignore[attr-defined]
    revealed = False
    undecryptable = False
    if request.method == "POST":
        do_reveal_history(me, record, permission=reveal_permission, action=reveal_action, target=target)
        revealed = True
    model = type(record)
    rows: list[dict[str, Any]] = []
    try:
        for revision in revisions_of(record):
            rows.append(
                {
                    "revision": revision,
                    "comment": revision.comment if revealed else None,
                    "changes": changes_of(model, revision, revealed, me),
                }
            )
    except DecryptionError:
        # Fail closed: show nothing that was opened so far.
        rows, revealed, undecryptable = [], False, True
    context = {
        "record": record,
        "rows": rows,
        "revealed": revealed,
        "undecryptable": undecryptable,
        "can_reveal": bool(role_can(me.role, reveal_permission)),
        "any_hidden": any(r["revision"].has_comment or any(c.sealed for c in r["changes"]) for r in rows),
        "back_url": back_url,
        "reveal_url": reveal_url,
    }
    return render(
        request,
        "revisions/history.html",
        context,
    )


@require_http_methods(["GET", "POST"])
def defender_history_view(request: HttpRequest, org_slug: str, defender_id: str) -> HttpResponse:
    from django.urls import reverse

    from salama.defenders.access import access_defender

    defender = access_defender(request.membership, defender_id)  # type: ignore[attr-defined]
    here = reverse("defenders:history", args=[org_slug, defender.pk])
    return history_response(
        request,
        defender,
        reveal_permission="defenders.reveal",
        reveal_action="defender.revealed",
        target=("defender", defender.pk),
        back_url=reverse("defenders:detail", args=[org_slug, defender.pk]),
        reveal_url=here,
    )
