from django.urls import path

from . import views

app_name = "transfer"
base = "o/<slug:org_slug>/import/"
one = base + "<uuid:batch_id>/"
urlpatterns = [
    path(base, views.import_start_view, name="import_start"),
    path(one, views.import_batch_view, name="import_batch"),
    path(one + "mapping/", views.import_mapping_view, name="import_mapping"),
    path(one + "terms/", views.import_terms_view, name="import_terms"),
    path(one + "preview/", views.import_preview_view, name="import_preview"),
    path(one + "run/", views.import_run_view, name="import_run"),
    path(one + "cancel/", views.import_cancel_view, name="import_cancel"),
    path("o/<slug:org_slug>/export/", views.export_view, name="export"),  # the defender list
    path("o/<slug:org_slug>/export/cases/", views.export_cases_view, name="export_cases"),
    path("o/<slug:org_slug>/export/incidents/", views.export_incidents_view, name="export_incidents"),
]
