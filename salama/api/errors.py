"""The API's one error body, documented on every operation (see `error()` in urls.py)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str
    # Field name -> messages for invalid input; other errors may say more here (409: `existing`).
    fields: dict[str, Any]


class ErrorOut(Schema):
    error: ErrorDetail


# What any operation may answer besides its success: invalid input, no or a bad token, a role
# without the permission, and another organisation's (or a missing) record. Spread it into each
# operation's responses: `response={200: Out, **ERRORS}`.
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
