from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salama.core"
    label = "core"
    verbose_name = "Salama core"
