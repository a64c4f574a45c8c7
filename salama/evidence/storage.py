"""Evidence content at rest: sealed, under random names, outside the database.

Each copy (the original, and for images the cleaned copy) is sealed with the record's own data
key (`salama.crypto.seal`, context field "content" or "derived", bound to the organisation and
the record's id) and written to MEDIA_ROOT/evidence/<32 random hex>.bin, mode 0600, in a 0700
directory. The name says nothing about the file; the envelope opens only with the record's data
key, which lives in the key store: a copy of the disk and the database together still reads
nothing, and once the record is deleted and its key destroyed, nothing ever will.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import warnings
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from salama.core.encryption import key_store
from salama.crypto import Context, seal, unseal

from .sniff import Refused

MODEL = "evidence.EvidenceFile"
CONTENT = "content"
DERIVED = "derived"
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
HMAC_INFO = b"salama.evidence.content-hmac.v1"


def directory() -> Path:
    path = Path(settings.MEDIA_ROOT) / "evidence"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask, and exist_ok keeps an old mode
    return path


def path_of(storage_name: str) -> Path:
    if not storage_name or not all(c in "0123456789abcdef" for c in storage_name):
        raise ValueError("not a storage name")
    return directory() / f"{storage_name}.bin"


def content_hmac(org_id: str, content: bytes) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HMAC_INFO).derive(key_store().index_key(org_id))
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def _context(org_id: str, record_id: str, which: str) -> Context:
    return Context(org_id, MODEL, which, record_id, version=1)


def write_sealed(org_id: str, record_id: str, data_key_id: str, which: str, content: bytes) -> str:
    """Seal and write one copy; returns its new storage name."""
    key = key_store().data_key(org_id, data_key_id)
    envelope = seal(key, data_key_id, content, _context(org_id, record_id, which)).encode("ascii")
    name = secrets.token_hex(16)
    fd = os.open(path_of(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(envelope)
            out.flush()
            os.fsync(fd)
    finally:
        os.close(fd)
    return name


def read_sealed(org_id: str, record_id: str, data_key_id: str, which: str, storage_name: str) -> bytes:
    """The plaintext of one copy; DecryptionError (KeyDestroyed once shredded) if it does not open."""
    envelope = path_of(storage_name).read_text("ascii")
    return unseal(lambda kid: key_store().data_key(org_id, kid), envelope, _context(org_id, record_id, which))


def remove(storage_name: str) -> None:
    if storage_name:
        path_of(storage_name).unlink(missing_ok=True)


def cleaned_image(content: bytes, media_type: str) -> bytes:
    """The pixels alone, re-encoded: EXIF (GPS, camera, time), XMP, IPTC, ICC profiles and
    comments are left behind because nothing but pixel data is copied into the new image.
    EXIF orientation is applied first, so the photo still looks the way it was taken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != PIL_FORMATS[media_type]:
                    raise Refused(_("The image cannot be read."))
                image.seek(0)
                upright = ImageOps.exif_transpose(image)
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
                mode = "RGBA" if has_alpha and media_type != "image/jpeg" else "RGB"
                if upright.mode == "L" and not has_alpha:
                    mode = "L"
                pixels = upright.convert(mode)
                clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(_("The image is too large to process.")) from None
    except (OSError, SyntaxError, ValueError):
        raise Refused(_("The image cannot be read: it may be damaged or not really an image.")) from None
    out = io.BytesIO()
    if media_type == "image/jpeg":
        clean.save(out, "JPEG", quality=92)
    elif media_type == "image/png":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=92)
    return out.getvalue()
