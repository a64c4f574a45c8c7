"""Every change to vocabularies and terms goes through these functions."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.accounts.models import User

from .defaults import SOURCE as DEFAULTS_SOURCE
from .defaults import read_defaults
from .huridocs import SOURCE as HURIDOCS_SOURCE
from .huridocs import read_huridocs
from .models import CODE_MAX_LENGTH, CODE_PATTERN, PATH_MAX_LENGTH, PATH_SEPARATOR, Term, Vocabulary
from .specs import ImportRefused, SyncReport, VocabularySpec

CODE = re.compile(CODE_PATTERN)
RETIRED_BY_SOURCE = {Term.RetiredReason.SOURCE_HIDDEN, Term.RetiredReason.SOURCE_REMOVED}
TERM_FIELDS = ["parent", "labels", "order", "source_ref", "path", "depth", "position", "retired_at", "retired_reason"]
BATCH = 500


def _bump(vocabulary_id: int) -> None:
    Vocabulary.objects.filter(pk=vocabulary_id).update(version=F("version") + 1, updated_at=timezone.now())


def _require_operator(actor: User) -> None:
    if not actor.is_platform_operator:
        raise PermissionDenied(_("Only platform operators can change vocabularies."))


# Loading from a source ------------------------------------------------------------------------


def _shape(
    parent_of: dict[str, str | None], order_of: dict[str, int]
) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
    """Path, depth and depth-first position of every term reachable from the top."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, parent in parent_of.items():
        children[parent].append(code)
    for siblings in children.values():
        siblings.sort(key=lambda code: (order_of[code], code))
    paths: dict[str, str] = {}
    depths: dict[str, int] = {}
    positions: dict[str, int] = {}
    stack = [(code, PATH_SEPARATOR) for code in reversed(children[None])]
    while stack:
        code, prefix = stack.pop()
        path = f"{prefix}{code}{PATH_SEPARATOR}"
        paths[code], depths[code], positions[code] = path, path.count(PATH_SEPARATOR) - 2, len(positions) + 1
        stack.extend((child, path) for child in reversed(children.get(code, [])))
    return paths, depths, positions


ATTNAMES = {field.name: field.attname for field in Term._meta.concrete_fields if field.name in TERM_FIELDS}


def _stored(term: Term) -> dict[str, Any]:
    return {name: getattr(term, attname) for name, attname in ATTNAMES.items()}


def _content(stored: Term | dict[str, Any]) -> tuple[Any, ...]:
    """What the source says about a term, as opposed to what follows from the tree's shape."""
    values = _stored(stored) if isinstance(stored, Term) else stored
    return (values["parent"], values["labels"], values["order"], values["source_ref"])


def _sync(spec: VocabularySpec, now: datetime) -> SyncReport:
    report = SyncReport(vocabularies=1, terms=len(spec.terms))
    wanted = {term.code: term for term in spec.terms}
    if len(wanted) != len(spec.terms):
        raise ImportRefused(_("%(vocabulary)s: a term code appears twice.") % {"vocabulary": spec.code})
    bad = next((t.code for t in spec.terms if len(t.code) > CODE_MAX_LENGTH or not CODE.match(t.code)), None)
    if bad is not None:
        raise ImportRefused(_("%(vocabulary)s: %(code)r is not a valid code.") % {"vocabulary": spec.code, "code": bad})
    strangers = sorted({t.parent for t in spec.terms if t.parent is not None and t.parent not in wanted})
    if strangers:
        raise ImportRefused(
            _("%(vocabulary)s: unknown broader term(s) %(codes)s.")
            % {"vocabulary": spec.code, "codes": ", ".join(strangers)}
        )

    meta = {
        "name": spec.name,
        "description": spec.description,
        "source": spec.source,
        "source_ref": spec.source_ref,
        "hierarchical": spec.hierarchical,
    }
    vocabulary = Vocabulary.objects.select_for_update().filter(code=spec.code).first()
    changed = False
    if vocabulary is None:
        vocabulary = Vocabulary.objects.create(code=spec.code, **meta)
        report.vocabularies_created = 1
    else:
        if vocabulary.source != spec.source:
            raise ImportRefused(
                _("%(vocabulary)s already exists with another source (%(source)s).")
                % {"vocabulary": spec.code, "source": vocabulary.source}
            )
        stale = [name for name, value in meta.items() if getattr(vocabulary, name) != value]
        if stale:
            for name in stale:
                setattr(vocabulary, name, meta[name])
            vocabulary.save(update_fields=[*stale, "updated_at"])
            changed = True

    existing = {term.code: term for term in Term.objects.filter(vocabulary=vocabulary)}
    code_of = {term.pk: code for code, term in existing.items()}
    parent_of: dict[str, str | None] = {code: term.parent for code, term in wanted.items()}
    order_of = {code: term.order for code, term in wanted.items()}
    for code, term in existing.items():
        if code not in wanted:  # dropped by the source: kept, in its old place, to be retired
            parent_of[code] = code_of.get(term.parent_id) if term.parent_id else None
            order_of[code] = term.order
    paths, depths, positions = _shape(parent_of, order_of)
    lost = [code for code in parent_of if code not in paths]
    if any(code in wanted for code in lost):
        raise ImportRefused(_("%(vocabulary)s: the broader terms loop.") % {"vocabulary": spec.code})
    if lost:
        # A dropped term can end up under its own old child once the source moves things
        # around; it goes to the top rather than into a loop.
        for code in lost:
            parent_of[code] = None
        paths, depths, positions = _shape(parent_of, order_of)
    too_long = next((code for code, path in paths.items() if len(path) > PATH_MAX_LENGTH), None)
    if too_long:
        raise ImportRefused(
            _("%(vocabulary)s: the term %(code)s is nested too deeply.") % {"vocabulary": spec.code, "code": too_long}
        )

    pk_of = {code: term.pk for code, term in existing.items()}
    # Shallowest first, so that every new term's parent already has its key.
    new_codes = sorted((code for code in wanted if code not in existing), key=lambda code: depths[code])
    for _depth, group in groupby(new_codes, key=lambda code: depths[code]):
        created = [
            Term(
                vocabulary=vocabulary,
                code=code,
                parent_id=pk_of[parent] if (parent := parent_of[code]) else None,
                labels=wanted[code].labels,
                order=wanted[code].order,
                source_ref=wanted[code].source_ref,
                path=paths[code],
                depth=depths[code],
                position=positions[code],
                retired_at=now if wanted[code].hidden else None,
                retired_reason=Term.RetiredReason.SOURCE_HIDDEN if wanted[code].hidden else "",
            )
            for code in group
        ]
        Term.objects.bulk_create(created, batch_size=BATCH)
        if any(term.pk is None for term in created):  # a database that cannot return keys
            codes = [term.code for term in created]
            pk_of.update(Term.objects.filter(vocabulary=vocabulary, code__in=codes).values_list("code", "pk"))
        else:
            pk_of.update((term.code, term.pk) for term in created)
        report.terms_created += len(created)

    dirty = []
    for code, term in existing.items():
        before = _stored(term)
        parent = parent_of[code]
        term.parent_id = pk_of[parent] if parent else None
        term.path, term.depth, term.position = paths[code], depths[code], positions[code]
        source = wanted.get(code)
        if source is None:
            if term.retired_at is None:
                term.retired_at, term.retired_reason = now, Term.RetiredReason.SOURCE_REMOVED
                report.terms_retired += 1
        else:
            term.labels, term.order, term.source_ref = source.labels, source.order, source.source_ref
            if _content(term) != _content(before):
                report.terms_changed += 1
            if source.hidden and term.retired_at is None:
                term.retired_at, term.retired_reason = now, Term.RetiredReason.SOURCE_HIDDEN
                report.terms_retired += 1
            elif not source.hidden and term.retired_reason in RETIRED_BY_SOURCE:
                # The source shows it again; a term the operator retired stays retired.
                term.retired_at, term.retired_reason = None, ""
                report.terms_restored += 1
        if _stored(term) != before:
            dirty.append(term)
    Term.objects.bulk_update(dirty, TERM_FIELDS, batch_size=BATCH)

    if report.vocabularies_created == 0 and (
        changed or report.terms_created or report.terms_changed or report.terms_retired or report.terms_restored
    ):
        _bump(vocabulary.pk)
        report.vocabularies_changed = 1
    return report


def _retire_vocabulary(vocabulary: Vocabulary, now: datetime) -> SyncReport:
    retired = Term.objects.filter(vocabulary=vocabulary, retired_at__isnull=True).update(
        retired_at=now, retired_reason=Term.RetiredReason.SOURCE_REMOVED
    )
    if retired:
        _bump(vocabulary.pk)
    return SyncReport(vocabularies=1, vocabularies_changed=1 if retired else 0, terms_retired=retired)


@transaction.atomic
def sync_vocabularies(source: str, specs: list[VocabularySpec]) -> SyncReport:
    """Make the database match everything `source` says, in one transaction.

    Creates what is new, updates what changed, retires what the source hides or no longer has
    (a whole list included), and brings back what it had retired when the source shows it
    again. Never deletes and never duplicates, so running it twice changes nothing the second
    time; the version of a vocabulary goes up only when something in it changed.
    """
    started = time.perf_counter()
    now = timezone.now()
    report = SyncReport()
    for spec in specs:
        if spec.source != source:
            raise ValueError(f"{spec.code}: source {spec.source} is not {source}")
        report.add(_sync(spec, now))
    dropped = Vocabulary.objects.filter(source=source).exclude(code__in=[spec.code for spec in specs])
    for vocabulary in dropped.select_for_update():
        report.add(_retire_vocabulary(vocabulary, now))
    report.seconds = time.perf_counter() - started
    return report


def load_default_vocabularies() -> SyncReport:
    """Salama's own vocabularies (data/default_vocabularies.json); safe to run at every start."""
    return sync_vocabularies(DEFAULTS_SOURCE, read_defaults())


def do_import_huridocs(path: str | Path) -> SyncReport:
    """Every list of a HURIDOCS micro-thesauri CSV; the whole file is checked before anything
    is written, so a bad file raises ImportRefused and changes nothing."""
    started = time.perf_counter()
    specs, warnings = read_huridocs(path)
    report = sync_vocabularies(HURIDOCS_SOURCE, specs)
    report.warnings = warnings
    report.seconds = time.perf_counter() - started
    return report


# The operator's changes -----------------------------------------------------------------------


@transaction.atomic
def do_retire_term(actor_user: User, term: Term) -> int:
    """Retire a term and everything narrower: hidden from new records, kept for old ones.

    Platform operator only for now. When organisations come to curate their own vocabularies
    this check becomes the permission `vocab.manage`, to be declared in salama.core.permissions.
    Returns how many terms were retired.
    """
    _require_operator(actor_user)
    retired = (
        Term.objects.within(term)
        .filter(retired_at__isnull=True)
        .update(retired_at=timezone.now(), retired_reason=Term.RetiredReason.OPERATOR)
    )
    if retired:
        _bump(term.vocabulary_id)
    term.refresh_from_db(fields=["retired_at", "retired_reason"])
    return retired


@transaction.atomic
def do_delete_term(actor_user: User, term: Term) -> None:
    """Delete a term nobody uses (a mistake, say). A term in use can only be retired.

    Platform operator only for now; see do_retire_term.
    """
    _require_operator(actor_user)
    if term.children.exists():
        raise ValidationError(_("This term has narrower terms. Delete or retire those first."))
    refused = ValidationError(_("Records use this term, so it cannot be deleted. Retire it instead."))
    if term.is_used():
        raise refused
    vocabulary_id = term.vocabulary_id
    try:
        with transaction.atomic():
            term.delete()
    except (ProtectedError, RestrictedError):
        # A referrer nobody registered: the database's own protection still holds.
        raise refused from None
    _bump(vocabulary_id)
