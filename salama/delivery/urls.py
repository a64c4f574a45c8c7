from django.urls import path

from . import views

app_name = "delivery"
urlpatterns = [
    path("demo/mailbox/", views.demo_mailbox_view, name="demo_mailbox"),
    path("demo/mailbox/<int:mail_number>/", views.demo_mail_view, name="demo_mail"),
]
