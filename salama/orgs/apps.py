from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "salama.orgs"
    label = "orgs"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  registers the invitation mail job
