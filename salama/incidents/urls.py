from django.urls import path

from . import views

app_name = "incidents"
on_case = "o/<slug:org_slug>/cases/<uuid:case_id>/incidents/"
one = on_case + "<uuid:incident_id>/"
urlpatterns = [
    path("o/<slug:org_slug>/incidents/", views.list_view, name="list"),
    path(on_case + "new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "history/", views.history_view, name="history"),
    path(one + "reveal/", views.reveal_view, name="reveal"),
    path(one + "link/", views.link_view, name="link"),
    path(one + "delete/", views.delete_view, name="delete"),
]
