from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("o/<slug:org_slug>/audit/", views.log_view, name="log"),
]
