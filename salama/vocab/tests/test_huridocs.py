"""Importing the HURIDOCS micro-thesauri: the real file, a small fixture, re-imports, bad files."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from salama.vocab.actions import do_import_huridocs
from salama.vocab.huridocs import COLUMNS, read_huridocs
from salama.vocab.models import Term, Vocabulary
from salama.vocab.specs import ImportRefused

pytestmark = pytest.mark.django_db


def term(list_code: int, code: str) -> Term:
    return Term.objects.select_related("parent").get(vocabulary__code=f"huridocs-{list_code:02d}", code=code)


def ancestors(item: Term) -> list[str]:
    """English labels from the top down to the term, read from its path."""
    codes = item.path.strip("/").split("/")
    labels = dict(Term.objects.filter(vocabulary=item.vocabulary_id, code__in=codes).values_list("code", "labels"))
    return [labels[code]["en"] for code in codes]


def test_the_real_file_imports_whole_with_its_hierarchy_and_labels(huridocs_file):
    report = do_import_huridocs(huridocs_file)

    # The README says 57 list codes; the file itself holds 54 (51 names: "unmapped" is shared by
    # lists 80 and 90-92). Each list code is one vocabulary.
    assert report.vocabularies == report.vocabularies_created == Vocabulary.objects.filter(source="huridocs").count()
    assert report.vocabularies == 54
    assert report.terms == report.terms_created == Term.objects.count() == 4516
    assert report.warnings == []  # term_level agrees with the tree everywhere
    names = {vocabulary.source_ref: vocabulary.name["en"] for vocabulary in Vocabulary.objects.all()}
    assert len({name.split(" (list")[0] for name in names.values()}) == 51
    assert names["24"] == "Types of perpetrators" and names["80"] == "Unmapped (list 80)"
    sizes = Counter(Term.objects.values_list("vocabulary__code", flat=True))
    assert sizes["huridocs-04"] == 532 and sizes["huridocs-68"] == 840 and sizes["huridocs-92"] == 2

    police = term(24, "010104000000")
    assert ancestors(police) == ["Governmental entities", "Executive", "Police"]
    assert police.depth == 2 and police.source_ref == "01010400000024"
    assert police.labels == {"en": "Police", "fr": "Police", "es": "Policía"}
    kenya = Term.objects.get(vocabulary__code="huridocs-15", labels__en="Kenya")
    assert ancestors(kenya) == ["Universal", "Africa", "Eastern Africa", "Kenya"]  # the root is 000000000000
    # parent_vocab_number decides even where the code's prefix names no term.
    out_of_wedlock = term(68, "100304010100")
    assert out_of_wedlock.parent.labels["en"] == "Children, street" and out_of_wedlock.depth == 4
    # Flat lists stay flat although their codes share prefixes.
    assert not Vocabulary.objects.get(code="huridocs-01").hierarchical
    assert set(Term.objects.filter(vocabulary__code="huridocs-14").values_list("depth", flat=True)) == {0}

    arrest = Term.objects.get(vocabulary__code="huridocs-01", labels__en="Arbitrary arrest and detention")
    assert arrest.label("fr") == "Arrestation et détention arbitraires"
    assert arrest.label("es") == "Arresto y detención arbitrarios"
    assert arrest.label("ar") == "Arbitrary arrest and detention"

    # Roll-up: the governmental entities and the nine terms under them.
    governmental = term(24, "010000000000")
    assert Term.objects.within(governmental).count() == 10
    # Siblings keep the file's order.
    executive = term(24, "010100000000")
    assert [child.labels["en"] for child in executive.children.order_by("order")][:2] == [
        "National-level officials",
        "Local government officials",
    ]
    unmapped = list(Term.objects.filter(vocabulary__code="huridocs-80").order_by("position"))
    assert unmapped[0].labels["en"] == "Arrest, Detention or Legal Proceedings"

    before = dict(Vocabulary.objects.values_list("code", "version"))
    again = do_import_huridocs(huridocs_file)
    assert (again.vocabularies_created, again.vocabularies_changed, again.vocabularies_unchanged) == (0, 0, 54)
    assert (again.terms_created, again.terms_changed, again.terms_retired, again.terms_restored) == (0, 0, 0, 0)
    assert Term.objects.count() == 4516
    assert dict(Vocabulary.objects.values_list("code", "version")) == before


def test_the_small_file_imports_lists_hierarchy_order_and_visibility(small_csv):
    report = do_import_huridocs(small_csv)
    assert (report.vocabularies, report.terms, report.terms_created) == (4, 16, 16)
    assert Vocabulary.objects.get(code="huridocs-90").name == {"en": "Unmapped (list 90)"}
    perpetrators = Vocabulary.objects.get(code="huridocs-24")
    assert perpetrators.hierarchical and perpetrators.source == "huridocs" and perpetrators.version == 1
    assert ancestors(term(24, "010104000000")) == ["Governmental entities", "Executive", "Police"]
    assert term(24, "020102000000").labels["fr"] == "Groupes d'auto-défense, escadrons de la mort"
    kenya = term(15, "010135000000")
    assert kenya.labels == {"en": "Kenya"} and kenya.label("fr") == "Kenya"
    others = term(24, "900000000000")
    assert others.retired_at is not None and others.retired_reason == "source_hidden"
    assert not Term.objects.active().filter(pk=others.pk).exists()
    # All of lists 90 and 91 have term_order 0: the code decides.
    issues = Term.objects.filter(vocabulary__code="huridocs-90").order_by("position")
    assert [issue.labels["en"] for issue in issues] == ["First issue", "Second issue"]
    reading_order = [t.code for t in Term.objects.filter(vocabulary=perpetrators).order_by("position")]
    assert reading_order == [
        "010000000000",
        "010100000000",
        "010103000000",
        "010104000000",
        "010300000000",
        "020000000000",
        "020102000000",
        "900000000000",
        "990000000000",
    ]


def rewrite(source: Path, target: Path, drop: tuple[str, ...] = (), replace: dict[str, str] | None = None) -> Path:
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if not line.startswith(drop)]
    text = "\n".join(lines) + "\n"
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return target


def test_a_reimport_updates_retires_and_restores_but_never_deletes(small_csv, tmp_path):
    do_import_huridocs(small_csv)
    police = term(24, "010104000000")
    version = Vocabulary.objects.get(code="huridocs-24").version
    changed = rewrite(
        small_csv,
        tmp_path / "changed.csv",
        drop=("24,types_of_perpetrators,01010400000024", "91,"),
        replace={
            "Judiciary,Pouvoir judiciaire": "Judiciary,Justice",
            # Armed forces move from the executive to the top.
            "01010300000024,010103000000,2,01010000000024": "01010300000024,010103000000,0,0",
            ",y,Unknown,": ",n,Unknown,",
        },
    )
    report = do_import_huridocs(changed)
    assert report.terms_created == 0
    assert report.terms_changed == 2  # judiciary relabelled, armed forces moved
    assert report.terms_retired == 3  # police and list 91's element dropped, unknown hidden
    police.refresh_from_db()
    assert police.retired_at is not None and police.retired_reason == "source_removed"
    assert term(24, "010300000000").labels["fr"] == "Justice"
    armed = term(24, "010103000000")
    assert armed.parent is None and armed.path == "/010103000000/" and armed.depth == 0
    assert term(24, "990000000000").retired_reason == "source_hidden"
    assert term(91, "010000000000").retired_reason == "source_removed"
    assert Term.objects.count() == 16
    assert Vocabulary.objects.get(code="huridocs-24").version == version + 1
    assert Vocabulary.objects.get(code="huridocs-15").version == 1  # untouched

    report = do_import_huridocs(small_csv)
    assert report.terms_restored == 3 and report.terms_changed == 2 and report.terms_retired == 0
    police.refresh_from_db()
    assert police.retired_at is None and police.retired_reason == ""
    assert ancestors(term(24, "010103000000")) == ["Governmental entities", "Executive", "Armed forces"]
    assert Vocabulary.objects.get(code="huridocs-24").version == version + 2


def test_the_operators_retirements_survive_a_reimport(small_csv):
    from salama.core.testing import make_person
    from salama.vocab.actions import do_retire_term

    do_import_huridocs(small_csv)
    do_retire_term(make_person("op@example.org", "Op", operator=True), term(24, "010300000000"))
    report = do_import_huridocs(small_csv)
    assert report.terms_restored == 0
    assert term(24, "010300000000").retired_reason == "operator"


HEADER = ",".join(COLUMNS)
GOOD = "24,types_of_perpetrators,01000000000024,010000000000,0,0,1,y,Governmental entities,Entités,Entidades"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is empty"),
        (b"a,b,c\n1,2,3\n", "lacks the column(s) list_code, list_name"),
        (HEADER.replace(",spanish", "").encode() + b"\n", "lacks the column(s) spanish"),
        (f"{HEADER}\n".encode(), "has a header but no terms"),
        (f"{HEADER}\n{GOOD}\n".replace("Entités", "Entit\xe9s").encode("latin-1"), "is not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not UTF-8 text"),
        (f"{HEADER}\n{GOOD.replace(',0,0,1,', ',x,0,1,')}\n".encode(), "line 2: term_level must be a whole number"),
        (f"{HEADER}\n{GOOD.replace(',y,', ',maybe,')}\n".encode(), "line 2: visible must be y or n, not 'maybe'"),
        (f"{HEADER}\n{GOOD.replace('Governmental entities', '')}\n".encode(), "line 2: the English label is empty"),
        (f"{HEADER}\n{GOOD},extra\n".encode(), "line 2: 12 fields where the header has 11"),
        (f"{HEADER}\n24,types\n".encode(), "line 2: fewer fields than the header"),
        (f"{HEADER}\n{GOOD}\n{GOOD}\n".encode(), "line 3: vocab_number 01000000000024 repeats line 2"),
        (
            f"{HEADER}\n{GOOD.replace(',0,0,1,', ',1,77000000000024,1,')}\n".encode(),
            "line 2: parent_vocab_number 77000000000024 is not another term of list 24",
        ),
        (
            f"{HEADER}\n{GOOD.replace(',0,0,1,', ',1,02000000000024,1,')}\n"
            f"24,types_of_perpetrators,02000000000024,020000000000,1,01000000000024,2,y,B,B,B\n".encode(),
            "the term is its own ancestor",
        ),
        (
            f"{HEADER}\n{GOOD}\n{GOOD.replace('types_of_perpetrators,0100', 'perpetrators,0200')}\n".encode(),
            "line 3: list 24 is named 'perpetrators' here but 'types_of_perpetrators' on line 2",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_file_is_refused_in_one_line_and_changes_nothing(tmp_path, content, says):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as refusal:
        do_import_huridocs(path)
    message = str(refusal.value)
    assert says in message and "\n" not in message and str(path) in message
    assert not Vocabulary.objects.exists() and not Term.objects.exists()
    with pytest.raises(CommandError, match=r"^[^\n]+$"):
        call_command("vocab", "import-huridocs", str(path))


def test_many_bad_rows_are_summed_up(tmp_path):
    rows = [
        GOOD.replace("010000000000,0,0,1", f"{n:012d},0,0,x").replace("01000000000024", f"{n:012d}24") for n in range(9)
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match=r"9 problem\(s\): line 2: .*; line 6: [^;]*\(and 4 more\)$"):
        read_huridocs(path)


def test_a_missing_file_is_one_line_on_the_command_line_without_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALAMA_", "DATABASE_URL", "DJANGO_"))}
    env["SALAMA_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "salama.cli", "vocab", "import-huridocs", str(tmp_path / "nowhere.csv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == f"CommandError: {tmp_path / 'nowhere.csv'} does not exist.\n"


def test_the_command_reports_counts(small_csv):
    out = io.StringIO()
    call_command("vocab", "import-huridocs", str(small_csv), stdout=out)
    assert out.getvalue().startswith(
        "4 vocabularies (4 new, 0 changed, 0 unchanged); 16 terms in the source: 16 new, 0 changed, 0 retired"
    )
    out = io.StringIO()
    call_command("vocab", "import-huridocs", str(small_csv), stdout=out)
    assert "(0 new, 0 changed, 4 unchanged); 16 terms in the source: 0 new, 0 changed" in out.getvalue()
