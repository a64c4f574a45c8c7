"""The organisation admin's Matrix room pages, under the organisation's settings.

Reads through access.py, writes through actions.py. The access token is write-only: the form
never renders it back, and no page, message or audit entry shows it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salama.core.forms import add_action_errors
from salama.core.requests import membership_of

from . import actions
from .access import access_room, last_delivery, last_error, last_test, rooms_of
from .forms import RoomForm
from .models import MatrixRoom


def _to_list(org_slug: str) -> HttpResponse:
    return redirect("delivery:matrix_rooms", org_slug=org_slug)


def _status(room: MatrixRoom) -> dict[str, Any]:
    return {"room": room, "last": last_delivery(room), "error": last_error(room), "test": last_test(room)}


@require_http_methods(["GET", "POST"])
def rooms_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The list with each room's latest outcome, and the form to add one."""
    me = membership_of(request)
    form = RoomForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_add_room(me, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Room added. Send a test message to check it."))
                return _to_list(org_slug)
        status = 400
    rooms = [_status(room) for room in rooms_of(me.organization)]
    return render(request, "matrix/rooms.html", {"rooms": rooms, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def room_view(request: HttpRequest, org_slug: str, room_id: Any) -> HttpResponse:
    me = membership_of(request)
    room = access_room(me, room_id)
    form = RoomForm(request.POST or None, room=room, initial=RoomForm.initial_from(room))
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_room(me, room, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return _to_list(org_slug)
        return render(request, "matrix/room.html", {"form": form, **_status(room)}, status=400)
    return render(request, "matrix/room.html", {"form": form, **_status(room)})


@require_POST
def room_test_view(request: HttpRequest, org_slug: str, room_id: Any) -> HttpResponse:
    room = access_room(membership_of(request), room_id)
    actions.do_send_test(membership_of(request), room)
    messages.success(
        request, _("Test message queued. Its outcome appears below in a moment; reload the page to see it.")
    )
    return redirect("delivery:matrix_room", org_slug=org_slug, room_id=room.pk)


@require_POST
def room_remove_view(request: HttpRequest, org_slug: str, room_id: Any) -> HttpResponse:
    room = access_room(membership_of(request), room_id)
    actions.do_remove_room(membership_of(request), room)
    messages.success(request, _("Room removed; its access token is destroyed."))
    return _to_list(org_slug)
