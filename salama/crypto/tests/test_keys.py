"""The root key file: created private, refused when it is not."""

from __future__ import annotations

import os
import stat

import pytest

from salama.crypto import KeyFileError, create_root_key, load_or_create_root_key, load_root_key, new_key_id
from salama.crypto.keys import KEY_ID_PATTERN


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_created_root_key_is_32_bytes_0600_in_a_0700_directory_and_loads_back(tmp_path):
    path = tmp_path / "keys" / "root.key"
    key = create_root_key(path)
    assert len(key) == 32
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert load_root_key(path) == key
    assert os.listdir(path.parent) == ["root.key"], "no temporary file is left behind"


def test_an_existing_parent_directory_is_left_as_it_is(tmp_path):
    tmp_path.chmod(0o755)
    create_root_key(tmp_path / "root.key")
    assert mode(tmp_path) == 0o755


def test_an_existing_key_is_never_overwritten(tmp_path):
    path = tmp_path / "root.key"
    key = create_root_key(path)
    with pytest.raises(KeyFileError, match="already exists"):
        create_root_key(path)
    assert load_root_key(path) == key


def test_load_or_create_creates_once_then_loads_the_same_key(tmp_path):
    path = tmp_path / "keys" / "root.key"
    assert load_or_create_root_key(path) == load_or_create_root_key(path) == load_root_key(path)


@pytest.mark.parametrize("unsafe", [0o640, 0o644, 0o604, 0o660, 0o610, 0o601, 0o666])
def test_a_key_file_open_to_group_or_others_is_refused(tmp_path, unsafe):
    path = tmp_path / "root.key"
    key = create_root_key(path)
    path.chmod(unsafe)
    with pytest.raises(KeyFileError, match="chmod 600") as caught:
        load_root_key(path)
    assert key.hex() not in str(caught.value)


def test_a_read_only_owner_file_is_accepted(tmp_path):
    path = tmp_path / "root.key"
    key = create_root_key(path)
    path.chmod(0o400)
    assert load_root_key(path) == key


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_file_of_the_wrong_length_is_refused(tmp_path, size):
    path = tmp_path / "root.key"
    path.write_bytes(b"k" * size)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="exactly 32 bytes"):
        load_root_key(path)


def test_a_missing_file_or_a_directory_is_refused(tmp_path):
    with pytest.raises(KeyFileError, match="does not exist"):
        load_root_key(tmp_path / "nowhere.key")
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="not a regular file"):
        load_root_key(directory)


def test_a_symlink_is_judged_by_the_file_it_points_to(tmp_path):
    target = tmp_path / "secret.key"
    key = create_root_key(target)
    link = tmp_path / "root.key"
    link.symlink_to(target)
    assert load_root_key(link) == key
    target.chmod(0o644)
    with pytest.raises(KeyFileError):
        load_root_key(link)


def test_key_ids_are_short_random_hex():
    ids = {new_key_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(KEY_ID_PATTERN.fullmatch(key_id) for key_id in ids)
