from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "salama.risk"
    label = "risk"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        register_term_referrer("risk.Threat", "perpetrator_type")
