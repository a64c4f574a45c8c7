from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "salama.audiences"
    label = "audiences"
    verbose_name = "Audiences"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        # A sector someone subscribed to, or a rule selects on, can be retired, never deleted.
        register_term_referrer("audiences.Subscriber", "sectors")
        register_term_referrer("audiences.AudienceRule", "sectors")
