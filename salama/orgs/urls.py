from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("organisations/", views.list_view, name="list"),
    path("organisations/switch/", views.switch_view, name="switch"),
    path("invitations/<str:token>/", views.invitation_view, name="invitation"),
    path("operator/", views.operator_view, name="operator"),
    path("operator/organisations/", views.operator_create_view, name="operator_create"),
    path("o/<slug:org_slug>/", views.home_view, name="home"),
    path("o/<slug:org_slug>/settings/", views.settings_view, name="settings"),
    path("o/<slug:org_slug>/members/", views.members_view, name="members"),
    path("o/<slug:org_slug>/invitations/", views.invite_view, name="invite"),
    path(
        "o/<slug:org_slug>/invitations/<int:invitation_id>/withdraw/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("o/<slug:org_slug>/members/<int:membership_id>/role/", views.member_role_view, name="member_role"),
    path("o/<slug:org_slug>/members/<int:membership_id>/remove/", views.member_remove_view, name="member_remove"),
]
