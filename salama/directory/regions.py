"""Which region each country belongs to, in the region codes of `Organization.Region`.

Used to tell whether an actor that works in a region covers a case's country. Pure data, no
model imports, so the eligibility rules stay pure. The grouping follows the one human-rights
organisations commonly use (the Middle East and North Africa apart from the rest of Africa,
Central Asia with Europe).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

AFRICA = "africa"
AMERICAS = "americas"
ASIA_PACIFIC = "asia_pacific"
EUROPE_CENTRAL_ASIA = "europe_central_asia"
MENA = "mena"
GLOBAL = "global"

REGION_NAMES = {
    AFRICA: _("Africa"),
    AMERICAS: _("Americas"),
    ASIA_PACIFIC: _("Asia and the Pacific"),
    EUROPE_CENTRAL_ASIA: _("Europe and Central Asia"),
    MENA: _("Middle East and North Africa"),
    GLOBAL: _("Global"),
}

_COUNTRIES = {
    AFRICA: (
        "AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ GQ ER SZ ET GA GM GH GN GW KE LS LR MG MW ML MR MU YT MZ NA NE "
        "NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG UG EH ZM ZW"
    ),
    AMERICAS: (
        "AI AG AR AW BS BB BZ BM BO BQ BR CA KY CL CO CR CU CW DM DO EC SV FK GF GL GD GP GT GY HT HN JM MQ MX MS "
        "NI PA PY PE PR BL KN LC MF PM VC SX SR TT TC US UY VE VG VI"
    ),
    ASIA_PACIFIC: (
        "AF AS AU BD BT BN KH CN CK FJ PF GU HK IN ID JP KI KP KR LA MO MY MV MH FM MN MM NR NP NC NZ NU NF MP PK "
        "PW PG PH PN WS SB SG LK TW TH TL TK TO TV VU VN WF"
    ),
    EUROPE_CENTRAL_ASIA: (
        "AL AD AM AT AZ BY BE BA BG HR CY CZ DK EE FO FI FR GE DE GI GR GG VA HU IS IE IM IT JE KZ XK KG LV LI LT "
        "LU MT MD MC ME NL MK NO PL PT RO RU SM RS SK SI ES SJ SE CH TJ TR TM UA GB UZ AX"
    ),
    MENA: "DZ BH EG IR IQ IL JO KW LB LY MA OM PS QA SA SY TN AE YE",
}

REGION_OF_COUNTRY: dict[str, str] = {
    country: region for region, codes in _COUNTRIES.items() for country in codes.split()
}


def region_of(country: str | None) -> str | None:
    return REGION_OF_COUNTRY.get((country or "").upper())


def region_name(region: str) -> str:
    return str(REGION_NAMES.get(region, region))
