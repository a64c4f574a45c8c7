from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "salama.transfer"
    label = "transfer"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  registers the background import job
