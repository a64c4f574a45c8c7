"""The only way to fetch import batches and saved mappings. Missing and not-yours are 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from salama.orgs.models import Organization

from .models import ImportBatch, SavedMapping


def batches_of(org: Organization) -> QuerySet[ImportBatch]:
    # Lists never load the file (ImportFile, a row apart): only the import steps read it.
    return ImportBatch.objects.filter(organization=org).select_related("created_by")


def access_batch(org: Organization, batch_id: Any) -> ImportBatch:
    batch = batches_of(org).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


def mappings_of(org: Organization, kind: str) -> QuerySet[SavedMapping]:
    return SavedMapping.objects.filter(organization=org, kind=kind)


def access_mapping(org: Organization, kind: str, mapping_id: Any) -> SavedMapping:
    mapping = mappings_of(org, kind).filter(pk=mapping_id).first()
    if mapping is None:
        raise Http404
    return mapping
