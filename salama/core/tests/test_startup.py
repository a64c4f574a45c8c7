import gc
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from salama.core.startup import load_and_set_aside


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_loaded_objects_are_set_aside_from_the_collector(unfrozen: None) -> None:
    frozen = load_and_set_aside()
    assert frozen == gc.get_freeze_count() > 0
    # What the collector still walks is what was made since: next to nothing yet.
    assert len(gc.get_objects()) < frozen / 100


@pytest.mark.django_db
def test_serve_sets_the_loaded_process_aside_before_serving(
    unfrozen: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import waitress

    settings.SALAMA_QUEUE = "celery"  # no embedded worker threads to stop afterwards
    seen: dict[str, int] = {}

    def serve(application: Any, **options: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(waitress, "serve", serve)
    gc.unfreeze()
    call_command("serve", "--no-migrate", stdout=None)
    assert seen["frozen"] > 0
