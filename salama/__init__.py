"""Salama: the shared workspace of the network that protects human rights defenders."""

from .celery import app as celery_app

__all__ = ["celery_app"]
