"""How an imported file may name a country.

Countries are the ISO 3166-1 list of django-countries: a cell may hold an alpha-2 or alpha-3
code, or a name in any language Salama speaks. Real datasets also use short or older English
names (CPJ writes "Ivory Coast", "UK", "Bosnia"); those that name exactly one country are listed
here. A name that could mean more than one country, or one that no longer exists
("Yugoslavia"), is deliberately left out: the import lists it with the unknown values and a
person decides.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils import translation
from django_countries import countries

# Folded alias -> ISO 3166-1 alpha-2 code. Only names that can mean one country and one only.
ALIASES: dict[str, str] = {
    "bosnia": "BA",
    "bosnia and herzegovina": "BA",
    "bosnia-herzegovina": "BA",
    "britain": "GB",
    "great britain": "GB",
    "uk": "GB",
    "u.k.": "GB",
    "united kingdom": "GB",
    "burma": "MM",
    "cape verde": "CV",
    "congo-brazzaville": "CG",
    "congo (brazzaville)": "CG",
    "republic of congo": "CG",
    "republic of the congo": "CG",
    "congo-kinshasa": "CD",
    "congo (kinshasa)": "CD",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "drc": "CD",
    "czech republic": "CZ",
    "east timor": "TL",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "côte d'ivoire": "CI",
    "côte d\u2019ivoire": "CI",
    "laos": "LA",
    "macedonia": "MK",
    "north korea": "KP",
    "south korea": "KR",
    "palestine": "PS",
    "palestinian territories": "PS",
    "occupied palestinian territory": "PS",
    "russia": "RU",
    "swaziland": "SZ",
    "syria": "SY",
    "turkey": "TR",
    "türkiye": "TR",
    "u.s.": "US",
    "u.s.a.": "US",
    "usa": "US",
    "united states": "US",
    "vatican": "VA",
    "vietnam": "VN",
}


def fold(value: str) -> str:
    """Case and outer spaces do not tell two spellings apart (as for vocabulary terms)."""
    return value.strip().casefold()


@cache
def spellings() -> dict[str, str]:
    """Every folded way a file may name a country (codes, names in each language, aliases),
    mapped to its alpha-2 code."""
    known: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, name in countries:
                known[fold(str(name))] = code
    for code, _name in countries:
        known[fold(code)] = code
        alpha3 = countries.alpha3(code)
        if alpha3:
            known[fold(alpha3)] = code
    known.update(ALIASES)
    return known


def country_code(value: str) -> str | None:
    """The alpha-2 code a cell names, or None when it names no single country."""
    return spellings().get(fold(value))
