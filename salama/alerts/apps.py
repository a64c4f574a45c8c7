from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "salama.alerts"
    label = "alerts"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        from . import tasks  # noqa: F401  registers the fan-out job

        register_term_referrer("alerts.ActionTaken", "response")
