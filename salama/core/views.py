from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salama.accounts.views import wants_json
from salama.orgs.access import memberships_of

from . import jobs


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and worker state for monitors; no data about anyone."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True, "vendor": connection.vendor}
        workers = jobs.health()
    except Exception:  # a monitor needs an answer, not a traceback
        return JsonResponse({"status": "error", "database": {"ok": False}}, status=503)
    return JsonResponse({"status": "ok", "database": database, "workers": workers})


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Straight to the organisation in use; otherwise say what to do next."""
    from salama.orgs.views import CURRENT_ORG

    memberships = list(memberships_of(request.user))  # type: ignore[arg-type]
    slugs = [m.organization.slug for m in memberships]
    current = request.session.get(CURRENT_ORG)
    if current in slugs:
        return redirect("orgs:home", org_slug=current)
    if len(slugs) == 1:
        return redirect("orgs:home", org_slug=slugs[0])
    if not slugs and request.user.is_platform_operator:  # type: ignore[union-attr]
        return redirect("orgs:operator")
    return render(request, "core/dashboard.html", {"memberships": memberships})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _("The form had expired or came from another site. Go back, reload the page and try again.")
    if wants_json(request):
        return JsonResponse({"error": {"code": "csrf", "message": message, "fields": {}}}, status=403)
    return render(request, "denied.html", {"reason": message}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}, status=404)
    return render(request, "404.html", status=404)
