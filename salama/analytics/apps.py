from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "salama.analytics"
    label = "analytics"
