"""The Spanish, French and Arabic catalogues: complete, compiled, and safe to render.

Three guarantees:

* every string marked for translation in the code and templates has a translation in every
  language: the test runs `makemessages` over a copy of the source, exactly as a translator
  would, and fails on any entry left untranslated or fuzzy. Adding a `{% translate %}` or
  `gettext()` string without translating it fails here;
* the committed .mo files match the .po files (`compilemessages` was run);
* a translation keeps the placeholders of its source (`%(name)s`, `%(count)d`), so it can never
  break a page or a message.

Extraction needs GNU gettext (`xgettext`, `msgmerge`: the Debian package `gettext`); nothing else
here does.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

SOURCE_DIR = Path(settings.BASE_DIR)  # the salama package: code, templates and locale/
LOCALE_DIR = SOURCE_DIR / "locale"
LANGUAGES = ["es", "fr", "ar"]
# The same options as the documented command:
#   cd salama && django-admin makemessages -l es -l fr -l ar -i "tests/*" -i "*/tests/*"
IGNORE = ["tests/*", "*/tests/*"]

PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*\d*(?:\.\d+)?(?P<type>[diouxXeEfFgGcrsa%])")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def plural(self) -> bool:
        return self.msgid_plural is not None

    def where(self, language: str) -> str:
        return f"{language}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (header included, as the entry with an empty msgid)."""
    entries: list[Entry] = []
    entry = Entry()
    started = False
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, started
        if started:
            entries.append(entry)
        entry, started = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue  # the previous msgid of an obsolete entry
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#"):
            if started and target is not None and target[0] != "comment":
                finish()  # a comment after a msgstr opens the next entry
            target = ("comment", 0)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        value = ast.literal_eval(rest) if rest else ""
        after_msgstr = started and target is not None and target[0] == "msgstr"
        if keyword in {"msgctxt", "msgid"} and after_msgstr:
            finish()
        if keyword:
            started = True
            entry.obsolete = entry.obsolete or obsolete
        if keyword == "msgctxt":
            entry.msgctxt, target = value, ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid, target = value, ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = value, ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            entry.msgstr[index], target = value, ("msgstr", index)
        elif keyword == "" and target is not None:
            kind, index = target
            if kind == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif kind == "msgid":
                entry.msgid += value
            elif kind == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif kind == "msgstr":
                entry.msgstr[index] += value
        else:
            raise AssertionError(f"{path}: cannot read the line {raw!r}")
    finish()
    return entries


def messages_of(path: Path) -> list[Entry]:
    """The live entries: no header, no obsolete (#~) ones."""
    return [e for e in parse_po(path) if e.msgid and not e.obsolete]


def header_of(path: Path) -> dict[str, str]:
    header = next(e for e in parse_po(path) if not e.msgid)
    assert "fuzzy" not in header.flags, f"{path}: the header is fuzzy, so msgfmt would skip it"
    return dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)


def problems_in(path: Path, language: str) -> list[str]:
    problems = []
    for entry in messages_of(path):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.where(language)}")
        elif not entry.msgstr or any(not text for text in entry.msgstr.values()):
            problems.append(f"untranslated: {entry.where(language)}")
    return problems


def po_path(language: str, root: Path | None = None) -> Path:
    return (root or LOCALE_DIR) / language / "LC_MESSAGES" / "django.po"


def placeholders(text: str) -> set[tuple[str | None, str]]:
    return {(m["name"], m["type"]) for m in PLACEHOLDER.finditer(text) if m["type"] != "%"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_has_a_proper_header(language: str) -> None:
    path = po_path(language)
    header = header_of(path)
    assert header.get("Language") == language
    assert header.get("Content-Type") == "text/plain; charset=UTF-8"
    nplurals = {"es": "2", "fr": "2", "ar": "6"}[language]
    assert header.get("Plural-Forms", "").startswith(f"nplurals={nplurals};")
    assert problems_in(path, language) == []
    plural_entries = [e for e in messages_of(path) if e.plural]
    for entry in plural_entries:
        assert sorted(entry.msgstr) == list(range(int(nplurals))), entry.where(language)


def test_every_marked_string_is_translated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """makemessages over a copy of the source, merged into the committed catalogues."""
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if shutil.which(tool) is None]
    assert not missing, f"Checking the catalogues needs GNU gettext (apt-get install gettext): {missing}"
    copy = tmp_path / "salama"
    shutil.copytree(
        SOURCE_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "var"),
    )
    monkeypatch.chdir(copy)
    # Only the copy's locale/ may be written to, never the real one.
    monkeypatch.setattr(settings, "LOCALE_PATHS", [])
    call_command("makemessages", locale=LANGUAGES, ignore_patterns=IGNORE, verbosity=0)
    problems = [
        problem for language in LANGUAGES for problem in problems_in(po_path(language, copy / "locale"), language)
    ]
    assert problems == [], (
        "Strings marked for translation are missing from the catalogues. From the salama/ folder "
        "run makemessages (see this file's docstring), translate the new entries, then run "
        "compilemessages:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    mo = po_path(language).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    for entry in messages_of(po_path(language)):
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        stale = f"stale .mo, run compilemessages: {entry.where(language)}"
        if entry.plural:
            for index, text in entry.msgstr.items():
                assert compiled.get((key, index)) == text, stale
        else:
            assert compiled.get(key) == entry.msgstr[0], stale


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    """Same placeholders as the source, and the translation formats without error.

    In a plural entry the forms for particular numbers (Arabic has forms for zero, one and two)
    may spell the number out instead of using the placeholder, which is safe with named
    placeholders; the last, general form must keep every placeholder.
    """
    for entry in messages_of(po_path(language)):
        expected = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        sample = {name: 3 if kind in "dioxXc" else "x" for name, kind in expected if name}
        last = max(entry.msgstr)
        for index, text in entry.msgstr.items():
            found = placeholders(text)
            if entry.plural and index != last:
                assert found <= expected, f"{entry.where(language)}, form {index}: {found - expected}"
            else:
                assert found == expected, f"{entry.where(language)}: {found} != {expected}"
            if "python-format" in entry.flags:
                text % sample  # raises on a malformed or unknown placeholder
            else:
                assert not placeholders(text), f"{entry.where(language)}: placeholders nobody fills"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "direction"),
    [("es", "Iniciar sesión", "ltr"), ("fr", "Se connecter", "ltr"), ("ar", "تسجيل الدخول", "rtl")],
)
def test_sign_in_page_in_each_language(language: str, heading: str, direction: str) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/login/").content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert "Sign in" not in page

    by_header = Client(HTTP_ACCEPT_LANGUAGE=language).get("/login/").content.decode()
    assert f"<h1>{heading}</h1>" in by_header
