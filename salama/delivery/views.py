"""The demo mailbox pages (see salama.delivery.mailbox). Their route policy ("demo") answers 404
outside demo mode, before these views run."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import mailbox


@require_GET
def demo_mailbox_view(request: HttpRequest) -> HttpResponse:
    return render(request, "delivery/mailbox.html", {"mails": mailbox.messages()})


@require_GET
def demo_mail_view(request: HttpRequest, mail_number: int) -> HttpResponse:
    mail = mailbox.message(mail_number)
    if mail is None:
        raise Http404
    # The HTML part is shown in a sandboxed frame (no scripts, no forms, its own opaque origin);
    # <base target> opens its links in a new tab, as a mail client would.
    framed = '<base target="_blank">' + mail.html if mail.html else ""
    return render(request, "delivery/mail.html", {"mail": mail, "framed": framed})
