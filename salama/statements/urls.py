from django.urls import path

from . import views

app_name = "statements"
base = "o/<slug:org_slug>/statements/"
one = base + "<uuid:statement_id>/"
urlpatterns = [
    path(base, views.list_view, name="list"),
    path(base + "new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "text/<str:language>/", views.text_view, name="text"),
    path(one + "invite/", views.invite_view, name="invite"),
    path(one + "open/", views.open_view, name="open"),
    path(one + "sign/", views.sign_view, name="sign"),
    path(one + "decline/", views.decline_view, name="decline"),
    path(one + "close/", views.close_view, name="close"),
    path(one + "publish/", views.publish_view, name="publish"),
    path(one + "withdraw/", views.withdraw_view, name="withdraw"),
    path(one + "statement.txt", views.download_text_view, name="download_text"),
    path(one + "statement.html", views.download_html_view, name="download_html"),
    # The public page of a published statement (no sign-in; see ROUTE_POLICIES).
    path("statements/<uuid:public_statement_id>/", views.public_view, name="public"),
]
