from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "salama.responses"
    label = "responses"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        register_term_referrer("responses.Lesson", "sectors")
        register_term_referrer("responses.Lesson", "threats")
