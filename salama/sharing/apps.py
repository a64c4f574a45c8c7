from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "salama.sharing"
    label = "sharing"
