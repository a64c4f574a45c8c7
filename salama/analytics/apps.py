from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "salama.analytics"
    label = "analytics"

    def ready(self) -> None:
        from . import flagging

        flagging.register_with_workers()
