"""Reading the HURIDOCS micro-thesauri CSV (see /work/shared/data/README.md) into specs.

The hierarchy comes from `parent_vocab_number`, which holds the parent's `vocab_number` (the
parent's `huri_code` followed by the two-digit list code); "0" or empty means a top-level term.
The file bears this out: every one of its 3,105 parent references points into the same list
and sits exactly one `term_level` above its child. `huri_code` prefixes are not used, because
they cannot be trusted for this: in the flat lists (index terms, ethnic groups, languages,
source material) the codes spell the term's letters (A = 01, B = 02, ...) rather than a
position in a tree; the geographical list's root is 000000000000, which prefixes nothing; and
one term of list 68 has a code whose prefix names no existing term. `term_level` is only checked
against the tree, never trusted over it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from .specs import ImportRefused, TermSpec, VocabularySpec

COLUMNS = (
    "list_code",
    "list_name",
    "vocab_number",
    "huri_code",
    "term_level",
    "parent_vocab_number",
    "term_order",
    "visible",
    "english",
    "french",
    "spanish",
)
LABEL_COLUMNS = {"en": "english", "fr": "french", "es": "spanish"}
SOURCE = "huridocs"
NO_PARENT = {"", "0"}
DIGITS = re.compile(r"^[0-9]{1,32}$")
# A refusal names this many problems, then says how many more there are.
PROBLEMS_SHOWN = 5


def vocabulary_code(list_code: int) -> str:
    return f"huridocs-{list_code:02d}"


@dataclass
class _Row:
    line: int
    list_code: int
    list_name: str
    vocab_number: str
    huri_code: str
    level: int
    parent: str
    order: int
    visible: bool
    labels: dict[str, str]


def _shown(value: str) -> str:
    return repr(value if len(value) <= 30 else value[:29] + "…")


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportRefused(_("%(path)s does not exist.") % {"path": path}) from None
    except IsADirectoryError:
        raise ImportRefused(_("%(path)s is a folder, not a file.") % {"path": path}) from None
    except OSError as error:
        raise ImportRefused(
            _("%(path)s cannot be read: %(reason)s.") % {"path": path, "reason": error.strerror}
        ) from None
    if not raw.strip():
        raise ImportRefused(_("%(path)s is empty.") % {"path": path})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            _("%(path)s is not UTF-8 text (the byte at position %(position)d is not valid UTF-8): save it as UTF-8.")
            % {"path": path, "position": error.start}
        ) from None


def _parse_rows(path: Path, text: str) -> tuple[list[_Row], list[str]]:
    rows: list[_Row] = []
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise ImportRefused(
                _("%(path)s lacks the column(s) %(missing)s; a HURIDOCS micro-thesauri file has: %(expected)s.")
                % {"path": path, "missing": ", ".join(missing), "expected": ", ".join(COLUMNS)}
            )
        reader.fieldnames = header
        for record in reader:
            line = reader.line_num
            if "\x00extra" in record or any(record.get(name) is None for name in COLUMNS):
                problems.append(
                    _("line %(line)d: %(count)d fields where the header has %(expected)d")
                    % {"line": line, "count": len(header) + len(record.get("\x00extra") or []), "expected": len(header)}
                    if "\x00extra" in record
                    else _("line %(line)d: fewer fields than the header") % {"line": line}
                )
                continue
            row = _parse_row(line, {name: (record[name] or "").strip() for name in COLUMNS}, problems)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        raise ImportRefused(
            _("%(path)s is not a readable CSV file (line %(line)d: %(reason)s).")
            % {"path": path, "line": reader.line_num, "reason": error}
        ) from None
    if not rows and not problems:
        raise ImportRefused(_("%(path)s has a header but no terms.") % {"path": path})
    return rows, problems


def _whole_number(line: int, column: str, value: str, problems: list[str]) -> int | None:
    if not value.isdigit():
        problems.append(
            _("line %(line)d: %(column)s must be a whole number, not %(value)s")
            % {"line": line, "column": column, "value": _shown(value)}
        )
        return None
    return int(value)


def _parse_row(line: int, values: dict[str, str], problems: list[str]) -> _Row | None:
    before = len(problems)
    list_code = _whole_number(line, "list_code", values["list_code"], problems)
    level = _whole_number(line, "term_level", values["term_level"], problems)
    order = _whole_number(line, "term_order", values["term_order"], problems)
    for column in ("vocab_number", "huri_code"):
        if not DIGITS.match(values[column]):
            problems.append(
                _("line %(line)d: %(column)s must be digits, not %(value)s")
                % {"line": line, "column": column, "value": _shown(values[column])}
            )
    parent = values["parent_vocab_number"]
    if parent not in NO_PARENT and not DIGITS.match(parent):
        problems.append(
            _("line %(line)d: parent_vocab_number must be digits, not %(value)s")
            % {"line": line, "value": _shown(parent)}
        )
    visible = values["visible"].lower()
    if visible not in {"y", "n"}:
        problems.append(
            _("line %(line)d: visible must be y or n, not %(value)s")
            % {"line": line, "value": _shown(values["visible"])}
        )
    if not values["list_name"]:
        problems.append(_("line %(line)d: list_name is empty") % {"line": line})
    if not values["english"]:
        problems.append(_("line %(line)d: the English label is empty") % {"line": line})
    if len(problems) > before or list_code is None or level is None or order is None:
        return None
    return _Row(
        line=line,
        list_code=list_code,
        list_name=values["list_name"],
        vocab_number=values["vocab_number"],
        huri_code=values["huri_code"],
        level=level,
        parent="" if parent in NO_PARENT else parent,
        order=order,
        visible=visible == "y",
        labels={language: values[column] for language, column in LABEL_COLUMNS.items() if values[column]},
    )


def _check_lists(rows: list[_Row], problems: list[str]) -> dict[int, list[_Row]]:
    lists: dict[int, list[_Row]] = defaultdict(list)
    names: dict[int, _Row] = {}
    numbers: dict[str, _Row] = {}
    codes: dict[tuple[int, str], _Row] = {}
    for row in rows:
        first = names.setdefault(row.list_code, row)
        if first.list_name != row.list_name:
            problems.append(
                _("line %(line)d: list %(list)d is named %(name)s here but %(first)s on line %(first_line)d")
                % {
                    "line": row.line,
                    "list": row.list_code,
                    "name": _shown(row.list_name),
                    "first": _shown(first.list_name),
                    "first_line": first.line,
                }
            )
        for column, earlier in (
            ("vocab_number", numbers.setdefault(row.vocab_number, row)),
            ("huri_code", codes.setdefault((row.list_code, row.huri_code), row)),
        ):
            if earlier is not row:
                problems.append(
                    _("line %(line)d: %(column)s %(value)s repeats line %(earlier)d")
                    % {"line": row.line, "column": column, "value": getattr(row, column), "earlier": earlier.line}
                )
        lists[row.list_code].append(row)
    return lists


def _tree_of(rows: list[_Row], problems: list[str], warnings: list[str]) -> dict[str, str | None]:
    """Each term's parent huri_code, from parent_vocab_number; refuses loops and strangers."""
    by_number = {row.vocab_number: row for row in rows}
    parent_of: dict[str, str | None] = {}
    for row in rows:
        if not row.parent:
            parent_of[row.huri_code] = None
            continue
        parent = by_number.get(row.parent)
        if parent is None or parent is row:
            problems.append(
                _("line %(line)d: parent_vocab_number %(parent)s is not another term of list %(list)d")
                % {"line": row.line, "parent": row.parent, "list": row.list_code}
            )
            continue
        parent_of[row.huri_code] = parent.huri_code
    for row in rows:
        depth, seen, code = 0, {row.huri_code}, parent_of.get(row.huri_code)
        while code is not None:
            if code in seen:
                problems.append(
                    _("line %(line)d: the term is its own ancestor (the parents loop)") % {"line": row.line}
                )
                break
            seen.add(code)
            depth += 1
            code = parent_of.get(code)
        else:
            if row.huri_code in parent_of and depth != row.level:
                warnings.append(
                    _("line %(line)d: term_level is %(level)d but the term is %(depth)d level(s) deep")
                    % {"line": row.line, "level": row.level, "depth": depth}
                )
    return parent_of


def _refuse(path: Path, problems: list[str]) -> ImportRefused:
    shown = "; ".join(problems[:PROBLEMS_SHOWN])
    more = len(problems) - PROBLEMS_SHOWN
    message = _("%(path)s was not imported, %(count)d problem(s): %(problems)s") % {
        "path": path,
        "count": len(problems),
        "problems": shown,
    }
    if more > 0:
        message += " " + _("(and %(more)d more)") % {"more": more}
    return ImportRefused(message)


def _display_name(list_name: str) -> str:
    words = list_name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def read_huridocs(path: str | Path) -> tuple[list[VocabularySpec], list[str]]:
    """The file's lists as specs, and warnings that do not stop the import; or ImportRefused."""
    path = Path(path)
    rows, problems = _parse_rows(path, _read_text(path))
    lists = _check_lists(rows, problems)
    warnings: list[str] = []
    trees = {list_code: _tree_of(members, problems, warnings) for list_code, members in lists.items()}
    if problems:
        raise _refuse(path, problems)
    name_uses: dict[str, int] = defaultdict(int)
    for members in lists.values():
        name_uses[members[0].list_name] += 1
    specs = []
    for list_code, members in sorted(lists.items()):
        list_name = members[0].list_name
        name = _display_name(list_name)
        if name_uses[list_name] > 1:
            # Lists 80 and 90-92 are all called "unmapped"; the number tells them apart.
            name = f"{name} (list {list_code})"
        # term_order as given, so that dropping one term does not renumber its siblings. Lists
        # 80 and 90-92 give every term order 0; the code then decides (see actions._shape).
        terms = [
            TermSpec(
                code=row.huri_code,
                labels=row.labels,
                parent=trees[list_code][row.huri_code],
                order=row.order,
                source_ref=row.vocab_number,
                hidden=not row.visible,
            )
            for row in members
        ]
        specs.append(
            VocabularySpec(
                code=vocabulary_code(list_code),
                name={"en": name},
                source=SOURCE,
                source_ref=str(list_code),
                terms=terms,
            )
        )
    return specs, warnings
