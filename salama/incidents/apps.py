from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "salama.incidents"
    label = "incidents"

    def ready(self) -> None:
        from salama.vocab.models import register_term_referrer

        # A term an incident is coded with can be retired, never deleted.
        for model, field in (
            ("incidents.Act", "violation"),
            ("incidents.Act", "method"),
            ("incidents.Victim", "status"),
            ("incidents.Perpetrator", "type"),
            ("incidents.Perpetrator", "involvement"),
            ("incidents.Source", "reliability"),
        ):
            register_term_referrer(model, field)

        from salama.revisions.hooks import track

        from .history import DERIVED

        track("incidents.Incident", DERIVED)
