from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salama.core"
    label = "core"
    verbose_name = "Salama core"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_delete

        from . import checks  # noqa: F401  registers the system checks
        from .encryption import EncryptedModel, shred_data_key

        for model in apps.get_models():
            if issubclass(model, EncryptedModel):
                post_delete.connect(shred_data_key, sender=model, dispatch_uid=f"shred:{model._meta.label}")
