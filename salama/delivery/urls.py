from django.urls import path

from . import views
from .channels.matrix import views as matrix

rooms = "o/<slug:org_slug>/settings/matrix/"

app_name = "delivery"
urlpatterns = [
    path("demo/mailbox/", views.demo_mailbox_view, name="demo_mailbox"),
    path("demo/mailbox/<int:mail_number>/", views.demo_mail_view, name="demo_mail"),
    # The organisation's Matrix rooms (salama.delivery.channels.matrix), for its admins.
    path(rooms, matrix.rooms_view, name="matrix_rooms"),
    path(rooms + "<uuid:room_id>/", matrix.room_view, name="matrix_room"),
    path(rooms + "<uuid:room_id>/test/", matrix.room_test_view, name="matrix_room_test"),
    path(rooms + "<uuid:room_id>/remove/", matrix.room_remove_view, name="matrix_room_remove"),
]
