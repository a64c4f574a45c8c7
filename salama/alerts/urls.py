from django.urls import path

from . import feeds, public, views

app_name = "alerts"
base = "o/<slug:org_slug>/alerts/"
one = base + "<uuid:alert_id>/"
urlpatterns = [
    path(base, views.list_view, name="list"),
    path(base + "new/", views.create_view, name="create"),
    # Public feeds of public-scope alerts (salama.alerts.feeds): no sign-in.
    path(base + "feed.atom", feeds.atom_view, name="feed_atom"),
    path(base + "feed.cap.xml", feeds.cap_view, name="feed_cap"),
    # Public pages of the same alerts (salama.alerts.public): no sign-in.
    path(base + "public/", public.index_view, name="public_index"),
    path(base + "public/<uuid:public_alert_id>/", public.detail_view, name="public_detail"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "text/<str:language>/", views.version_view, name="version"),
    path(one + "text/<str:language>/delete/", views.version_delete_view, name="version_delete"),
    path(one + "targets/new/", views.target_add_view, name="target_add"),
    path(one + "targets/<uuid:target_id>/", views.target_edit_view, name="target_edit"),
    path(one + "targets/<uuid:target_id>/remove/", views.target_remove_view, name="target_remove"),
    path(one + "submit/", views.submit_view, name="submit"),
    path(one + "return/", views.return_to_draft_view, name="return_to_draft"),
    path(one + "approve/", views.approve_view, name="approve"),
    path(one + "publish/", views.publish_view, name="publish"),
    path(one + "close/", views.close_view, name="close"),
    path(one + "follow-up/", views.follow_up_view, name="follow_up"),
    path(one + "board/", views.board_view, name="board"),
    path(one + "sending/", views.sending_view, name="sending"),
    path(one + "actions/", views.action_add_view, name="action_add"),
    # The signed links in each delivery (salama.delivery.links makes them under /d/<purpose>/).
    path("d/ack/<str:token>/", views.ack_view, name="ack"),
    path("d/ack/<str:token>/action/", views.ack_action_view, name="ack_action"),
]
