from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "salama.cases"
    label = "cases"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        register_term_referrer("cases.Case", "tags")

        from salama.revisions.hooks import track

        track("cases.Case")
