from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "salama.safety"
    label = "safety"

    def ready(self) -> None:
        from . import ticks

        ticks.register_with_workers()
