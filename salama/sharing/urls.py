from django.urls import path

from . import views

app_name = "sharing"
on_case = "o/<slug:org_slug>/cases/<uuid:case_id>/sharing/"
# The partner's own URL space: the organisation in the URL is the partner, never the sharer.
shared = "o/<slug:org_slug>/shared/"
one = shared + "<uuid:case_id>/"
urlpatterns = [
    path(on_case, views.grant_view, name="grant"),
    path(on_case + "<int:grant_id>/revoke/", views.revoke_view, name="revoke"),
    path(shared, views.shared_list_view, name="shared_list"),
    path(one, views.shared_detail_view, name="shared_detail"),
    path(one + "reveal/", views.shared_reveal_view, name="shared_reveal"),
    path(one + "incidents/<uuid:incident_id>/", views.shared_incident_view, name="shared_incident"),
    path(one + "evidence/<uuid:evidence_id>/", views.shared_evidence_view, name="shared_evidence"),
]
