from django.urls import path

from salama.revisions.views import defender_history_view

from . import views

app_name = "defenders"
base = "o/<slug:org_slug>/defenders/"
one = base + "<uuid:defender_id>/"
urlpatterns = [
    path(base, views.list_view, name="list"),
    path(base + "new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "history/", defender_history_view, name="history"),
    path(one + "reveal/", views.reveal_view, name="reveal"),
    path(one + "delete/", views.delete_view, name="delete"),
    path(one + "consents/", views.consent_add_view, name="consent_add"),
    path(one + "consents/<int:consent_id>/withdraw/", views.consent_withdraw_view, name="consent_withdraw"),
    path(one + "contacts/", views.contact_add_view, name="contact_add"),
    path(one + "contacts/<uuid:contact_id>/remove/", views.contact_remove_view, name="contact_remove"),
]
