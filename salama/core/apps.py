from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salama.core"
    label = "core"
    verbose_name = "Salama core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
