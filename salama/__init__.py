"""Salama: the shared workspace of the network that protects human rights defenders.

Nothing is imported here, so that `salama.crypto` stays free of Django and Celery; the Celery
application lives in `salama.celery` and is loaded by `salama worker` and by `jobs.wake`.
"""
