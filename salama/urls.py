from django.urls import include, path
from django.views.i18n import set_language

from salama.api.urls import api

handler404 = "salama.core.views.not_found"

urlpatterns = [
    path("", include("salama.core.urls")),
    path("", include("salama.accounts.urls")),
    path("", include("salama.orgs.urls")),
    path("", include("salama.vocab.urls")),
    path("", include("salama.audit.urls")),
    path("", include("salama.defenders.urls")),
    path("", include("salama.transfer.urls")),
    path("", include("salama.cases.urls")),
    path("", include("salama.sharing.urls")),
    path("", include("salama.evidence.urls")),
    path("", include("salama.incidents.urls")),
    path("", include("salama.audiences.urls")),
    path("", include("salama.alerts.urls")),
    path("", include("salama.delivery.urls")),
    path("", include("salama.risk.urls")),
    path("", include("salama.safety.urls")),
    path("", include("salama.directory.urls")),
    path("", include("salama.referrals.urls")),
    path("", include("salama.responses.urls")),
    path("", include("salama.statements.urls")),
    path("", include("salama.analytics.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
]
