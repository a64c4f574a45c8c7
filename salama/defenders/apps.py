from django.apps import AppConfig


class DefendersConfig(AppConfig):
    name = "salama.defenders"
    label = "defenders"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        # A sector in use by a defender can be retired, never deleted.
        register_term_referrer("defenders.Defender", "sectors")
