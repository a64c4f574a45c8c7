from django.urls import path

from . import views

app_name = "referrals"
base = "o/<slug:org_slug>/referrals/"
one = base + "<uuid:referral_id>/"
on_case = "o/<slug:org_slug>/cases/<uuid:case_id>/referrals/"
urlpatterns = [
    path(base, views.org_list_view, name="list"),
    path(on_case, views.case_list_view, name="case_list"),
    path(on_case + "new/", views.create_view, name="create"),
    path(one, views.detail_view, name="detail"),
    path(one + "edit/", views.edit_view, name="edit"),
    path(one + "status/", views.status_view, name="status"),
    path(one + "reply/", views.reply_view, name="reply"),
    path(one + "outcome/", views.outcome_view, name="outcome"),
    path(one + "reveal/", views.reveal_view, name="reveal"),
    path(one + "documents/<slug:doc_kind>/", views.document_view, name="document"),
    path(one + "documents/<slug:doc_kind>/download/", views.document_download_view, name="document_download"),
]
