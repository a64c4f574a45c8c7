from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "salama.statements"
    label = "statements"
