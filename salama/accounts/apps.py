from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "salama.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  registers the account mail jobs
