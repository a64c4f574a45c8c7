"""Property-based tests of the API against its own OpenAPI document (schemathesis).

For every operation, requests generated from the document are sent in-process to the WSGI
application as organisation A's admin. Half of the examples replace the path parameters with
real sample records (tests/routes.py SAMPLES), so the operations are reached past their 404s.
Every response must: not be a 5xx, use a documented status code and content type, match the
documented body, and, for 4xx, follow the error format `{"error": {"code", "message", "fields"}}`.

Each example runs inside a savepoint that is rolled back, so examples never see each other's
writes; the test's own transaction (pytest-django) throws away the cast and the samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from salama.wsgi import application

from .routes import SAMPLES

OPENAPI = "/api/v1/openapi.json"

schema = schemathesis.openapi.from_dict(Client().get(OPENAPI).json())
schema.app = application


@schemathesis.check
def error_format(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx and 5xx answers with the API's one error format."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        raise Failure(
            operation=case.operation.label,
            title="Error response is not JSON",
            message=f"{response.status_code}: {response.text[:200]!r}",
        ) from None
    error = body.get("error") if isinstance(body, dict) else None
    if (
        not isinstance(error, dict)
        or set(error) != {"code", "message", "fields"}
        or not isinstance(error["code"], str)
        or not isinstance(error["message"], str)
        or not isinstance(error["fields"], dict)
    ):
        raise Failure(
            operation=case.operation.label,
            title="Error response does not follow the error format",
            message=f"{response.status_code}: {body!r}"[:500],
        )
    return True


# No 5xx, and every response as documented. Left out: positive_data_acceptance and
# negative_data_rejection, which judge how strictly requests are validated (the API ignores
# unknown query parameters and refuses unknown body fields; the document says neither).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    error_format,
]


@pytest.fixture
def wsgi_requests() -> Iterator[None]:
    """Requests reach the WSGI handler directly, not through Django's test client, so keep the
    handler from closing the test's connection (inside its transaction) at each request's start
    and end, as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def samples(cast: Any) -> dict[str, Any]:
    """Sample values for path parameters, created on first use (outside any example's savepoint)."""

    class Lazy(dict[str, str]):
        def __missing__(self, name: str) -> str:
            self[name] = str(SAMPLES[name](cast))
            return self[name]

    return Lazy()


@schema.parametrize()
@schema.given(use_samples=st.booleans())
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)
def test_api_conforms_to_its_schema(case: Case, use_samples: bool, cast, samples, wsgi_requests) -> None:  # type: ignore[no-untyped-def]
    if use_samples and case.path_parameters:
        for name in case.path_parameters:
            case.path_parameters[name] = samples[name]
    sid = transaction.savepoint()
    try:
        case.call_and_validate(
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {cast.tokens['a_admin']}"},
            checks=CHECKS,
        )
    finally:
        transaction.savepoint_rollback(sid)
