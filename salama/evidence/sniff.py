"""What a file is, from its content: the client's name and claimed type are not trusted.

`filetype` recognises the binary formats by their magic numbers. Plain text has none, so it is
accepted only when it decodes as UTF-8, holds no control characters other than whitespace and
does not look like markup a browser would run (HTML, SVG, XML).
"""

from __future__ import annotations

from dataclasses import dataclass

import filetype
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# media type -> (extension used for downloads, what people call it)
ALLOWED: dict[str, tuple[str, Promise]] = {
    "application/pdf": ("pdf", _("PDF document")),
    "image/jpeg": ("jpg", _("JPEG image")),
    "image/png": ("png", _("PNG image")),
    "image/webp": ("webp", _("WebP image")),
    "text/plain": ("txt", _("plain text")),
    "application/vnd.oasis.opendocument.text": ("odt", _("OpenDocument text")),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx", _("Word document")),
    "audio/mpeg": ("mp3", _("MP3 audio")),
    "audio/ogg": ("ogg", _("Ogg audio")),
    "audio/mp4": ("m4a", _("M4A audio")),
    "video/mp4": ("mp4", _("MP4 video")),
}
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
ALIASES = {"image/apng": "image/png"}  # an animated PNG is a PNG; the cleaned copy keeps frame one
EXTENSIONS: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "txt": "text/plain",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
}
MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe", b"<meta")
_TEXT_CONTROLS = {9, 10, 12, 13}


class Refused(Exception):
    """The file is not accepted; the message says why, in words a person can act on."""


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    extension: str


def _is_plain_text(head: bytes) -> bool:
    try:
        # The head may end in the middle of a character.
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    return all(ord(c) >= 32 or ord(c) in _TEXT_CONTROLS for c in text) and "\x7f" not in text


def sniff(content: bytes, name: str) -> Sniffed:
    """The sniffed type of an allowed file, or Refused with the reason."""
    if not content:
        raise Refused(_("The file is empty."))
    head = content[:8192]
    kind = filetype.guess(head)
    if kind is not None:
        media_type = ALIASES.get(kind.mime, kind.mime)
        if media_type not in ALLOWED:
            raise Refused(
                _("This file is not an accepted type: its content is %(kind)s (.%(ext)s).")
                % {"kind": kind.mime, "ext": kind.extension}
            )
    else:
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if stripped.startswith(MARKUP) or b"<script" in head.lower():
            raise Refused(_("This file is a web page or markup, which is not accepted."))
        if not _is_plain_text(head):
            raise Refused(_("The type of this file cannot be recognised, so it is not accepted."))
        media_type = "text/plain"
    claimed = EXTENSIONS.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None
    if claimed is not None and claimed != media_type:
        raise Refused(
            _("This file is named as %(claimed)s but its content is %(actual)s. It may be disguised.")
            % {"claimed": ALLOWED[claimed][1], "actual": ALLOWED[media_type][1]}
        )
    return Sniffed(media_type, ALLOWED[media_type][0])
