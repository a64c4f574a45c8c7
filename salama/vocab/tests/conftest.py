"""Where the HURIDOCS file is: SALAMA_SHARED_DATA (the shared data folder, or the file itself),
else `shared/data/` in the repository's folder or any folder above it (CI puts the shared folder
at ../shared)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

FILE_NAME = "huridocs_microthesauri.csv"
SMALL_CSV = Path(__file__).resolve().parent / "data" / "huridocs_small.csv"


def find_huridocs_file() -> Path | None:
    configured = os.environ.get("SALAMA_SHARED_DATA")
    if configured:
        path = Path(configured)
        # Named on purpose, so it must be there: a wrong setting fails instead of skipping.
        return path / FILE_NAME if path.is_dir() else path
    repository = Path(settings.BASE_DIR).resolve().parent
    for folder in (repository, *repository.parents):
        candidate = folder / "shared" / "data" / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture
def huridocs_file() -> Path:
    path = find_huridocs_file()
    if path is None:
        pytest.skip(f"{FILE_NAME} is not in any shared/data folder above the repository; set SALAMA_SHARED_DATA")
    assert path.is_file(), f"SALAMA_SHARED_DATA names {path}, which is not a file"
    return path


@pytest.fixture
def small_csv() -> Path:
    return SMALL_CSV
