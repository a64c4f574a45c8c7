from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatrixConfig(AppConfig):
    name = "salama.delivery.channels.matrix"
    label = "matrix"
    verbose_name = _("Matrix rooms")
    default_auto_field = "django.db.models.BigAutoField"
