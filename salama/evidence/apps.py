from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "salama.evidence"
    label = "evidence"
