"""The API object: bearer-token auth, one error format, every app's routers."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from .auth import BearerToken

log = logging.getLogger("salama.api")


class SalamaAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__


api = SalamaAPI(
    title="Salama API",
    version="1",
    description="The API of Salama. Authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api-1",
    auth=BearerToken(),
    # The interactive docs pages need inline scripts (refused by our CSP) or call out to a
    # third-party validator; the OpenAPI document alone is served.
    docs_url=None,
)


def error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in {"body", "query", "path", "payload"}]
        fields.setdefault(".".join(location) or "__all__", []).append(str(item.get("msg", "")))
    return fields


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(request, 400, "invalid", _("Some fields are not valid."), _field_errors(exc))


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error(request, 401, "unauthenticated", _("A valid API token is required."))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, "forbidden", str(exc) or _("You may not do this."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, "error", str(exc))


@api.exception_handler(DjangoValidationError)
def on_action_refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error(request, 400, "invalid", _("Some fields are not valid."), fields)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error in %s", request.path)
    return error(request, 500, "server_error", _("Something went wrong on the server."))


from salama.accounts.api import router as accounts_router  # noqa: E402
from salama.alerts.api import router as alerts_router  # noqa: E402
from salama.analytics.api import router as analytics_router  # noqa: E402
from salama.audiences.api import router as audiences_router  # noqa: E402
from salama.audit.api import router as audit_router  # noqa: E402
from salama.cases.api import router as cases_router  # noqa: E402
from salama.defenders.api import router as defenders_router  # noqa: E402
from salama.directory.api import router as directory_router  # noqa: E402
from salama.evidence.api import router as evidence_router  # noqa: E402
from salama.incidents.api import router as incidents_router  # noqa: E402
from salama.orgs.api import router as orgs_router  # noqa: E402
from salama.referrals.api import router as referrals_router  # noqa: E402
from salama.responses.api import router as responses_router  # noqa: E402
from salama.risk.api import router as risk_router  # noqa: E402
from salama.safety.api import router as safety_router  # noqa: E402
from salama.safety.board_api import router as safety_board_router  # noqa: E402
from salama.sharing.api import router as sharing_router  # noqa: E402
from salama.statements.api import router as statements_router  # noqa: E402
from salama.vocab.api import router as vocab_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/", orgs_router)
api.add_router("/", vocab_router)
api.add_router("/", audit_router)
api.add_router("/", defenders_router)
api.add_router("/", cases_router)
api.add_router("/", sharing_router)
api.add_router("/", evidence_router)
api.add_router("/", incidents_router)
api.add_router("/", audiences_router)
api.add_router("/", alerts_router)
api.add_router("/", risk_router)
api.add_router("/", safety_router)
api.add_router("/", safety_board_router)
api.add_router("/", directory_router)
api.add_router("/", referrals_router)
api.add_router("/", responses_router)
api.add_router("/", statements_router)
api.add_router("/", analytics_router)
