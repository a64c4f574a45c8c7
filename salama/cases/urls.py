from django.urls import path

from . import views

app_name = "cases"
base = "o/<slug:org_slug>/cases/"
one = base + "<uuid:case_id>/"
urlpatterns = [
    path(base, views.list_view, name="list"),
    path(base + "new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "status/", views.status_view, name="status"),
    path(one + "team/", views.team_view, name="team"),
    path(one + "notes/", views.note_add_view, name="note_add"),
    path(one + "reveal/", views.reveal_view, name="reveal"),
    path(one + "history/", views.history_view, name="history"),
    path(one + "delete/", views.delete_view, name="delete"),
]
