"""The country code stored on a record, read without django-countries' `Country` object.

Reading a country field builds a `Country` (with a lookup in the country list) on every read,
and saving turns it back into the code. Writers of thousands of rows (imports) read the code
as the field stored it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django_countries.fields import CountryField


def stored_code(field: object) -> Callable[[Model], Any] | None:
    """A reader of the code a single-country field holds on a record (what saving it would
    write); None for any other field."""
    if not isinstance(field, CountryField) or field.multiple:
        return None
    name = field.attname

    def read(record: Model) -> Any:
        if name in record.__dict__:
            return record.__dict__[name]  # the field's descriptor stores the cleaned code
        return field.get_prep_value(getattr(record, name))  # deferred: loaded by the read

    return read
