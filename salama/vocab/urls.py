from django.urls import path

from . import views

app_name = "vocab"
urlpatterns = [
    path("vocabularies/", views.list_view, name="list"),
    path("vocabularies/<slug:code>/", views.detail_view, name="detail"),
]
