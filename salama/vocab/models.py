"""Controlled vocabularies: shared reference data, the same for every organisation.

A vocabulary is a flat or hierarchical list of terms with labels in several languages. Records
elsewhere point at terms, so a term in use is never deleted: it is retired, which hides it from
pickers while old records keep their meaning. Every change bumps the vocabulary's version, so
clients that cache a vocabulary know when to fetch it again.
"""

from __future__ import annotations

from django.apps import apps
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The languages labels are kept in; English is the fallback every term must have.
LANGUAGES = ("en", "es", "fr", "ar")
FALLBACK_LANGUAGE = "en"

# Lower case only: SQLite's LIKE, which the path prefix queries use, ignores ASCII case, so two
# codes differing only in case would roll up into each other. "/" is the path separator.
CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
code_validator = RegexValidator(
    CODE_PATTERN, _("Use lower-case letters, digits, dots, hyphens and underscores, starting with a letter or digit.")
)
CODE_MAX_LENGTH = 64
PATH_MAX_LENGTH = 1024
PATH_SEPARATOR = "/"


def pick_label(labels: dict[str, str], language: str | None = None) -> tuple[str, str]:
    """(text, language of the text): the language asked for, else English, else any label."""
    wanted = (language or get_language() or FALLBACK_LANGUAGE).split("-")[0].lower()
    for candidate in (wanted, FALLBACK_LANGUAGE):
        if labels.get(candidate):
            return labels[candidate], candidate
    for candidate, text in sorted(labels.items()):
        if text:
            return text, candidate
    return "", ""


class Vocabulary(models.Model):
    class Source(models.TextChoices):
        SALAMA = "salama", _("Salama")
        HURIDOCS = "huridocs", _("HURIDOCS")

    code = models.SlugField(_("code"), max_length=CODE_MAX_LENGTH, unique=True)
    name = models.JSONField(_("name"), default=dict, help_text="Per language: {'en': ..., 'fr': ...}.")
    description = models.JSONField(_("description"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # Where the list lives in its source, e.g. the HURIDOCS list code.
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    hierarchical = models.BooleanField(_("hierarchical"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("vocabulary")
        verbose_name_plural = _("vocabularies")

    def __str__(self) -> str:
        return self.code

    def display_name(self, language: str | None = None) -> str:
        return pick_label(self.name, language)[0] or self.code

    def display_description(self, language: str | None = None) -> str:
        return pick_label(self.description, language)[0]


class TermQuerySet(models.QuerySet["Term"]):
    def active(self) -> TermQuerySet:
        return self.filter(retired_at__isnull=True)

    def within(self, term: Term) -> TermQuerySet:
        """The term and everything narrower: the roll-up of a category, as one prefix query."""
        return self.filter(vocabulary_id=term.vocabulary_id, path__startswith=term.path)


# (app_label.ModelName, field) of every field that points at a Term. An app registers its own in
# AppConfig.ready() with `register_term_referrer`; `Term.is_used` asks each of them, and the
# system check in checks.py makes sure no foreign key to Term is forgotten or can cascade.
TERM_REFERRERS: set[tuple[str, str]] = set()


def register_term_referrer(model: str, field: str) -> None:
    TERM_REFERRERS.add((model, field))


class Term(models.Model):
    class RetiredReason(models.TextChoices):
        OPERATOR = "operator", _("Retired by the platform operator")
        SOURCE_HIDDEN = "source_hidden", _("Hidden in the source")
        SOURCE_REMOVED = "source_removed", _("Removed from the source")

    vocabulary = models.ForeignKey(Vocabulary, on_delete=models.CASCADE, related_name="terms")
    code = models.CharField(_("code"), max_length=CODE_MAX_LENGTH, validators=[code_validator])
    # RESTRICT, not PROTECT: a broader term cannot be deleted on its own, yet a whole vocabulary
    # still can be (its terms go together), which PROTECT would refuse.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="children",
        verbose_name=_("broader term"),
    )
    labels = models.JSONField(_("labels"), default=dict, help_text="Per language: {'en': ..., 'fr': ...}.")
    order = models.PositiveIntegerField(_("order among siblings"), default=0)
    # Derived from the tree, kept by the actions that change it: the codes from the root down
    # ("/01/0101/"), so a term's roll-up is one indexed prefix query; the depth (0 at the
    # top); and the place in a depth-first walk of the whole vocabulary, so a tree can be
    # listed page by page in reading order.
    path = models.CharField(max_length=PATH_MAX_LENGTH, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0, editable=False)
    # HURIDOCS: the term's vocab_number. Salama's own terms: the vocab_number of the HURIDOCS
    # term they correspond to, when there is one, so records can be mapped across.
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    # Lets a re-import bring back what the source had hidden or dropped, but never a term the
    # operator retired on purpose.
    retired_reason = models.CharField(max_length=20, choices=RetiredReason.choices, blank=True)

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["vocabulary", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="term_code_unique_in_vocabulary"),
        ]
        indexes = [
            models.Index(fields=["vocabulary", "path"], name="term_path_idx"),
            models.Index(fields=["vocabulary", "position"], name="term_position_idx"),
        ]
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return f"{self.vocabulary_id}:{self.code}"

    def label(self, language: str | None = None) -> str:
        """The label in `language` (default: the active one), else English, else the code."""
        return pick_label(self.labels, language)[0] or self.code

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def descendants(self) -> TermQuerySet:
        return Term.objects.within(self).exclude(pk=self.pk)

    def is_used(self) -> bool:
        """Whether any record points at this term (then it may be retired, never deleted)."""
        for model_label, field in sorted(TERM_REFERRERS):
            model = apps.get_model(model_label)
            if model._base_manager.filter(**{field: self}).exists():
                return True
        return False
