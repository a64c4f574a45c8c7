from django.apps import AppConfig


class VocabConfig(AppConfig):
    name = "salama.vocab"
    label = "vocab"
    verbose_name = "Salama vocabularies"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
