from django.urls import path

from . import views

app_name = "audiences"
subscribers = "o/<slug:org_slug>/audiences/subscribers/"
subscriber = subscribers + "<uuid:subscriber_id>/"
contact = subscriber + "contacts/<uuid:contact_point_id>/"
rules = "o/<slug:org_slug>/audiences/rules/"
rule = rules + "<int:rule_id>/"
urlpatterns = [
    path(subscribers, views.subscriber_list_view, name="subscribers"),
    path(subscribers + "new/", views.subscriber_create_view, name="subscriber_create"),
    path(subscriber, views.subscriber_detail_view, name="subscriber_detail"),
    path(subscriber + "edit/", views.subscriber_edit_view, name="subscriber_edit"),
    path(subscriber + "delete/", views.subscriber_delete_view, name="subscriber_delete"),
    path(subscriber + "contacts/new/", views.contact_add_view, name="contact_add"),
    path(contact + "edit/", views.contact_edit_view, name="contact_edit"),
    path(contact + "verify/", views.contact_verify_view, name="contact_verify"),
    path(contact + "send-verification/", views.contact_send_verification_view, name="contact_send_verification"),
    path(contact + "withdraw/", views.contact_withdraw_view, name="contact_withdraw"),
    path(contact + "delete/", views.contact_delete_view, name="contact_delete"),
    path(rules, views.rule_list_view, name="rules"),
    path(rules + "new/", views.rule_create_view, name="rule_create"),
    path(rule, views.rule_detail_view, name="rule_detail"),
    path(rule + "edit/", views.rule_edit_view, name="rule_edit"),
    path(rule + "delete/", views.rule_delete_view, name="rule_delete"),
    path("o/<slug:org_slug>/audiences/suppressions/", views.suppressions_view, name="suppressions"),
    path(
        "o/<slug:org_slug>/audiences/suppressions/<int:suppression_id>/lift/",
        views.suppression_lift_view,
        name="suppression_lift",
    ),
    path("o/<slug:org_slug>/audiences/opt-outs/", views.opt_outs_view, name="opt_outs"),
    # A person's own opt-outs, whichever organisations sent the messages: their account is the key.
    path("account/opt-outs/", views.own_opt_outs_view, name="own_opt_outs"),
    path("account/opt-outs/<int:opt_out_id>/opt-in/", views.own_opt_in_view, name="own_opt_in"),
    # Reached from a message, without signing in: the signed token is the credential.
    path("d/preferences/<str:token>/", views.preferences_view, name="preferences"),
    path("d/unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("subscribe/verify/<str:token>/", views.verify_view, name="verify"),
]
