from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, register
from django.core.exceptions import FieldDoesNotExist
from django.db import models


@register()
def term_referrers(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Records must never lose their terms: every field pointing at a Term is registered (so
    `Term.is_used` sees it) and, if it is a foreign key, protects the term from deletion."""
    from .models import TERM_REFERRERS, Term

    errors = []
    for model_label, field_name in sorted(TERM_REFERRERS):
        try:
            apps.get_model(model_label)._meta.get_field(field_name)
        except (LookupError, ValueError, FieldDoesNotExist):
            errors.append(
                Error(
                    f"A registered term referrer, {model_label}.{field_name}, does not exist.", id="salama.vocab.E001"
                )
            )
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is not Term:
                continue
            if model is Term and field.name == "parent":
                continue
            name = f"{model._meta.label}.{field.name}"
            if (model._meta.label, field.name) not in TERM_REFERRERS:
                errors.append(
                    Error(
                        f"{name} points at vocabulary terms but is not registered.",
                        hint="Call salama.vocab.models.register_term_referrer in the app's ready().",
                        id="salama.vocab.E002",
                    )
                )
            if isinstance(field, models.ForeignKey) and field.remote_field.on_delete is not models.PROTECT:
                errors.append(
                    Error(
                        f"{name} must use on_delete=PROTECT: a term in use is retired, never deleted.",
                        id="salama.vocab.E003",
                    )
                )
    return errors
