from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "salama.delivery"
    label = "delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        from . import engine

        engine.register_with_workers()
