from django.urls import path

from . import views

app_name = "responses"
base = "o/<slug:org_slug>/responses/"
one = base + "<uuid:response_id>/"
urlpatterns = [
    path(base, views.list_view, name="list"),
    path("o/<slug:org_slug>/cases/<uuid:case_id>/responses/new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "details/", views.details_view, name="details"),
    path(one + "status/", views.status_view, name="status"),
    path(one + "steps/", views.step_add_view, name="step_add"),
    path(one + "steps/<uuid:step_id>/remove/", views.step_remove_view, name="step_remove"),
    path(one + "close/", views.close_view, name="close"),
    path(one + "reveal/", views.reveal_view, name="reveal"),
    path("o/<slug:org_slug>/lessons/", views.lessons_view, name="lessons"),
    path("o/<slug:org_slug>/lessons/<int:lesson_id>/share/", views.lesson_share_view, name="lesson_share"),
    path("o/<slug:org_slug>/donor/", views.donor_view, name="donor"),
]
