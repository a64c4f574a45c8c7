"""The root key file, fresh keys and key ids.

The root key is 32 random bytes, stored raw in a file that only its owner may read (0600). It
never goes into a database: it wraps the organisation keys held in the key store, so a copy of
the key store without this file opens nothing.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"[0-9a-f]{16}")


class KeyFileError(Exception):
    """The root key file is missing, unsafe or malformed. The message names the path only."""


def generate_key() -> bytes:
    """A fresh 256-bit key from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_BYTES)


def new_key_id() -> str:
    """A short random key id (64 bits, hex).

    Random rather than sequential so an id reveals neither how many keys exist nor their order.
    """
    return secrets.token_hex(8)


def create_root_key(path: str | os.PathLike[str]) -> bytes:
    """Create a new root key file at `path` (0600) and return the key.

    A missing parent directory is created 0700; an existing one is left as it is, since the
    file may live in a directory the operator manages. Refuses to overwrite an existing file:
    replacing a root key by accident would make every organisation key unreadable.
    """
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    key = generate_key()
    # Written under a temporary name and then hard-linked into place, so that a process racing
    # us (load_or_create_root_key) never reads a half-written file, and an existing key is never
    # replaced: link() fails if the name exists, like O_EXCL.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            if os.write(fd, key) != KEY_BYTES:
                raise OSError(f"short write creating root key file {path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(temporary, path)
    except FileExistsError:
        raise KeyFileError(f"root key file {path} already exists; refusing to overwrite it") from None
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return key


def load_root_key(path: str | os.PathLike[str]) -> bytes:
    """Read the root key, refusing a file that group or others may access or of the wrong size."""
    path = Path(path)
    try:
        # Symlinks are followed on purpose (container secrets are often mounted that way); the
        # checks below apply to the file actually opened.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise KeyFileError(f"root key file {path} does not exist") from None
    except PermissionError:
        raise KeyFileError(f"root key file {path} is not readable by this user") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"root key file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise KeyFileError(
                f"root key file {path} has mode {stat.S_IMODE(info.st_mode):04o}; "
                "it must not be accessible to group or others (chmod 600)"
            )
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"root key file {path} must hold exactly {KEY_BYTES} bytes, not {len(key)}")
    return key


def load_or_create_root_key(path: str | os.PathLike[str]) -> bytes:
    """Load the root key, creating it on first use (safe when several processes race)."""
    try:
        return create_root_key(path)
    except KeyFileError:
        if not Path(path).exists():
            raise
        return load_root_key(path)


def _fsync_dir(directory: Path) -> None:
    # Without this a crash right after creation can lose the directory entry, and with it the key.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
