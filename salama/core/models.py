"""Background work as rows: the database is the record, the queue is only a hint."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Job(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=100)
    # Ids and options only: never personal data, which stays in its own encrypted rows.
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    priority = models.SmallIntegerField(default=100, help_text="Lower runs sooner.")
    run_after = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "priority", "run_after"], name="job_claim_idx")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.state}"


class WorkerHeartbeat(models.Model):
    name = models.CharField(max_length=200, unique=True)
    mode = models.CharField(max_length=20)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
