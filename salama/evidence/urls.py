from django.urls import path

from . import views

app_name = "evidence"
in_case = "o/<slug:org_slug>/cases/<uuid:case_id>/evidence/"
one = "o/<slug:org_slug>/evidence/<uuid:evidence_id>/"
urlpatterns = [
    path(in_case, views.list_view, name="list"),
    path(in_case + "upload/", views.upload_view, name="upload"),
    path(one, views.detail_view, name="detail"),
    path(one + "download/", views.download_view, name="download"),
    path(one + "reveal/", views.reveal_view, name="reveal"),
    path(one + "delete/", views.delete_view, name="delete"),
]
