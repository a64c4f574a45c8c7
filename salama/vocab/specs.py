"""What a source says a vocabulary should be, before anything is written.

Every source (the shipped defaults, the HURIDOCS file) is read into these plain values first and
checked whole; only then does `actions.sync_vocabularies` bring the database in line, in one
transaction. So a bad file changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


class ImportRefused(ValueError):
    """A source that cannot be imported; the message is one line a person can act on."""


@dataclass(frozen=True)
class TermSpec:
    code: str
    labels: dict[str, str]
    parent: str | None = None  # the parent's code, in the same vocabulary
    order: int = 0
    source_ref: str = ""
    hidden: bool = False  # the source itself withdraws the term: imported as retired


@dataclass(frozen=True)
class VocabularySpec:
    code: str
    name: dict[str, str]
    source: str
    terms: list[TermSpec]
    description: dict[str, str] = field(default_factory=dict)
    source_ref: str = ""

    @property
    def hierarchical(self) -> bool:
        return any(term.parent for term in self.terms)


@dataclass
class SyncReport:
    vocabularies: int = 0
    vocabularies_created: int = 0
    vocabularies_changed: int = 0
    terms: int = 0  # in the source
    terms_created: int = 0
    terms_changed: int = 0
    terms_retired: int = 0
    terms_restored: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def add(self, other: SyncReport) -> None:
        for item in fields(self):
            if item.name in {"seconds", "warnings"}:
                continue
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        self.warnings.extend(other.warnings)

    @property
    def vocabularies_unchanged(self) -> int:
        return self.vocabularies - self.vocabularies_created - self.vocabularies_changed
