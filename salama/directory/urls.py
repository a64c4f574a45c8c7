from django.urls import path

from . import views

app_name = "directory"
one = "directory/<slug:actor_slug>/"
urlpatterns = [
    path("directory/", views.list_view, name="list"),
    path("directory/new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(
        "o/<slug:org_slug>/cases/<uuid:case_id>/referral-suggestions/",
        views.suggestions_view,
        name="suggestions",
    ),
]
