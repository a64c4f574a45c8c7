from __future__ import annotations

from typing import Any

from salama.core.jobs import job


@job("transfer.import")
def import_batch(payload: dict[str, Any]) -> None:
    from .actions import run_import

    run_import(payload["batch"])
