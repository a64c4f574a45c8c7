"""Two schemas of the API under one name: the OpenAPI document keeps only one of them, and
clients read every operation that uses the other against the wrong shape. Each name must mean
one shape."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from ninja import Schema

import salama.api.urls  # noqa: F401  every router and its schemas


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _shapes() -> dict[str, set[str]]:
    """Component name -> the distinct JSON schemas that claim it (schemas and the enums inside)."""
    shapes: dict[str, set[str]] = defaultdict(set)
    for schema in _subclasses(Schema):
        if not schema.__module__.startswith("salama."):
            continue
        document: dict[str, Any] = schema.model_json_schema()
        for name, definition in document.pop("$defs", {}).items():
            shapes[name].add(json.dumps(definition, sort_keys=True))
        shapes[schema.__name__].add(json.dumps(document, sort_keys=True))
    return shapes


def test_each_component_name_means_one_shape() -> None:
    clashes = sorted(name for name, found in _shapes().items() if len(found) > 1)
    assert clashes == []
