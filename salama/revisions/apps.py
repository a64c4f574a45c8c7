from django.apps import AppConfig


class RevisionsConfig(AppConfig):
    name = "salama.revisions"
    label = "revisions"

    def ready(self) -> None:
        from .hooks import track

        # Defenders are tracked from here; other apps call `track` from their own ready().
        track("defenders.Defender")
