from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "salama.audit"
    label = "audit"

    def ready(self) -> None:
        from . import signals  # noqa: F401  records sign-ins and failed sign-ins
