from django.urls import URLPattern, path

from . import views

app_name = "safety"
base = "o/<slug:org_slug>/safety/"
schedule = base + "schedules/<uuid:schedule_id>/"
emergency = base + "emergencies/<uuid:emergency_id>/"
urlpatterns: list[URLPattern] = [
    path(base, views.list_view, name="list"),
    path(base + "schedules/new/<uuid:defender_id>/", views.schedule_create_view, name="schedule_create"),
    path(schedule, views.schedule_detail_view, name="schedule_detail"),
    path(schedule + "edit/", views.schedule_edit_view, name="schedule_edit"),
    path(schedule + "credentials/", views.schedule_credentials_view, name="schedule_credentials"),
    path(schedule + "check-in/", views.schedule_checkin_view, name="schedule_checkin"),
    path(base + "sos/<uuid:defender_id>/", views.sos_raise_view, name="sos_raise"),
    path(emergency, views.emergency_detail_view, name="emergency_detail"),
    path(emergency + "reveal/", views.emergency_reveal_view, name="emergency_reveal"),
    path(emergency + "acknowledge/", views.emergency_acknowledge_view, name="emergency_acknowledge"),
    path(emergency + "escalate/", views.emergency_escalate_view, name="emergency_escalate"),
    path(emergency + "resolve/", views.emergency_resolve_view, name="emergency_resolve"),
    path(emergency + "cancel/", views.emergency_cancel_view, name="emergency_cancel"),
    # The defender's pages, under a short neutral path: the link or the code is the credential.
    path("c/", views.code_view, name="code"),
    path("c/<str:token>/", views.checkin_view, name="checkin"),
    path("c/<str:token>/sos/", views.sos_view, name="sos"),
    path("c/<str:token>/sos/cancel/", views.sos_cancel_view, name="sos_cancel"),
]

# The safety board (salama.safety.board_views).
from . import board_views  # noqa: E402

urlpatterns += [path("o/<slug:org_slug>/safety/board/", board_views.board_view, name="board")]
