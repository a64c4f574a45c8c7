from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "salama.referrals"
    label = "referrals"

    def ready(self) -> None:
        from . import ticks

        ticks.register_with_workers()
