"""A believable demo network, loaded by `salama demo`. Running it again changes nothing but
the printed backup codes (new ones each run, since each can be used once)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.actions import do_create_user, do_generate_backup_codes
from salama.accounts.models import User
from salama.core.permissions import Role
from salama.orgs.models import Membership, Organization
from salama.vocab.actions import load_default_vocabularies

DEMO_PASSWORD = "salama-demo-network-2026"  # noqa: S105  printed for newcomers; demo data only
DEMO_DOMAIN = "demo.salama.example.org"

NETWORK = [
    dict(
        slug="tierra-digna",
        name="Tierra Digna",
        kind="local_ngo",
        country="CO",
        region="americas",
        languages=["es", "en"],
        description="Accompanies peasant, Afro-Colombian and Indigenous land defenders in Cauca and Chocó.",
        people=[
            ("Lucía Ramírez", Role.ADMIN),
            ("Andrés Mosquera", Role.COORDINATOR),
            ("Marta Yatacué", Role.CASEWORKER),
            ("Julián Ortiz", Role.CASEWORKER),
            ("Sofía Restrepo", Role.VIEWER),
        ],
    ),
    dict(
        slug="defenders-law-kenya",
        name="Defenders Legal Aid Network Kenya",
        kind="network",
        country="KE",
        region="africa",
        languages=["en", "sw"],
        description="Pro bono lawyers who defend human rights defenders facing arrest and prosecution in Kenya.",
        people=[
            ("Wanjiru Kamau", Role.ADMIN),
            ("Otieno Odhiambo", Role.COORDINATOR),
            ("Achieng Atieno", Role.CASEWORKER),
            ("Kiprono Kibet", Role.CASEWORKER),
            ("Halima Yusuf", Role.VIEWER),
        ],
    ),
    dict(
        slug="shield-international",
        name="Shield International",
        kind="international_ngo",
        country="IE",
        region="global",
        languages=["en", "fr", "es", "ar"],
        description="International protection NGO: emergency grants, relocation and urgent appeals.",
        people=[
            ("Claire Byrne", Role.ADMIN),
            ("Karim Haddad", Role.COORDINATOR),
            ("Aoife Nolan", Role.CASEWORKER),
            ("Mariam Diallo", Role.VIEWER),
        ],
    ),
    dict(
        slug="embassy-bogota-hr",
        name="Human Rights Desk, Embassy in Bogotá",
        kind="government",
        country="CO",
        region="americas",
        languages=["es", "en"],
        description="Embassy officers who observe trials and visit defenders at risk under the EU Guidelines.",
        people=[("Ingrid Larsen", Role.ADMIN), ("Tomás Villa", Role.CASEWORKER)],
    ),
    dict(
        slug="regional-hrd-desk",
        name="Regional HRD Focal Point",
        kind="intergovernmental",
        country="CH",
        region="global",
        languages=["en", "fr", "es"],
        description="Inter-governmental desk that receives communications on defenders at risk.",
        people=[("Élise Fournier", Role.ADMIN), ("Samuel Mensah", Role.CASEWORKER)],
    ),
    dict(
        slug="defenders-fund",
        name="Defenders Emergency Fund",
        kind="donor",
        country="NL",
        region="global",
        languages=["en", "fr"],
        description="Funds emergency grants for defenders and their families.",
        people=[("Pieter de Vries", Role.ADMIN), ("Nadia Benali", Role.VIEWER)],
    ),
]


@dataclass
class DemoLogin:
    email: str
    name: str
    where: str
    backup_codes: list[str]


def _email(name: str, slug: str) -> str:
    first = unicodedata.normalize("NFKD", name.split()[0].lower())
    ascii_first = first.encode("ascii", "ignore").decode() or "member"
    return f"{ascii_first}.{slug}@{DEMO_DOMAIN}"


def _person(email: str, name: str, language: str = "") -> User:
    user = User.objects.filter(email=email).first() or do_create_user(email, name, DEMO_PASSWORD, language=language)
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
    return user


@transaction.atomic
def load_demo_network() -> list[DemoLogin]:
    load_default_vocabularies()
    logins: list[DemoLogin] = []
    operator = _person(f"operator@{DEMO_DOMAIN}", "Platform operator")
    if not operator.is_platform_operator:
        operator.is_platform_operator = True
        operator.save(update_fields=["is_platform_operator"])
    logins.append(
        DemoLogin(operator.email, operator.display_name, "platform operator", do_generate_backup_codes(operator))
    )
    for spec in NETWORK:
        fields = {k: v for k, v in spec.items() if k not in {"people", "slug"}}
        org, _created = Organization.objects.update_or_create(slug=spec["slug"], defaults=fields)
        for name, role in spec["people"]:  # type: ignore[attr-defined]
            user = _person(
                _email(name, org.slug),
                name,
                language=org.languages[0] if org.languages[0] in {"en", "es", "fr", "ar"} else "",
            )
            Membership.objects.update_or_create(user=user, organization=org, defaults={"role": role})
            logins.append(
                DemoLogin(user.email, name, f"{org.name}: {Role(role).label}", do_generate_backup_codes(user))
            )
    _demo_defenders()
    _demo_subscribers()
    _demo_alert()
    # Imported late: the demo network loads before any capability's demo data.
    from salama.incidents.demo import load_demo_incidents

    load_demo_incidents()
    from salama.risk.demo import load_demo_risk

    load_demo_risk()
    from salama.safety.demo import load_demo_safety

    load_demo_safety()
    from salama.statements.demo import load_demo_statements

    load_demo_statements()
    from salama.responses.demo import load_demo_responses

    load_demo_responses()
    from salama.referrals.demo import load_demo_referrals

    load_demo_referrals()
    return logins


# Invented people: any likeness to a real defender is accidental.
DEMO_DEFENDERS = [
    dict(
        public_name="La Maestra",
        legal_name="Rosa Elvira Cuesta Mina",
        phone="+57 312 555 0142",
        gender="woman",
        region="Cauca",
        sectors=["land-environment", "indigenous-peoples"],
        private_notes="Threatened after the land restitution hearing.",
    ),
    dict(
        public_name="Don Aurelio",
        legal_name="Aurelio Quiñones Perea",
        phone="+57 315 555 0178",
        gender="man",
        region="Chocó",
        sectors=["land-environment"],
    ),
    dict(
        public_name="Consejo Comunitario Río Claro",
        legal_name="Consejo Comunitario del Río Claro",
        kind="community",
        gender="not_applicable",
        region="Chocó",
        sectors=["land-environment"],
    ),
]


def _demo_defenders() -> None:
    """A few defenders followed by the Colombian NGO, added once."""
    from salama.defenders.actions import do_create_defender
    from salama.defenders.models import Defender
    from salama.vocab.models import Term

    admin = Membership.objects.filter(organization__slug="tierra-digna", role=Role.ADMIN).first()
    if admin is None or Defender.objects.filter(organization=admin.organization).exists():
        return
    for spec in DEMO_DEFENDERS:
        fields = dict(spec)
        codes = fields.pop("sectors")
        sectors = list(Term.objects.filter(vocabulary__code="sectors", code__in=codes))
        do_create_defender(admin, country="CO", sectors=sectors, **fields)


def la_maestra_case(lead: Membership) -> Any:
    """The demo case of La Maestra, one of Tierra Digna's defenders, opened a month ago if she has
    none yet; None without her. Referrals and responses of the demo are about it."""
    from datetime import timedelta

    from django.utils import timezone

    from salama.cases.actions import do_open_case
    from salama.defenders.models import Defender

    defender = Defender.objects.filter(organization=lead.organization, public_name="La Maestra").first()
    if defender is None:
        return None
    opened_on = timezone.localdate() - timedelta(days=30)
    return defender.cases.first() or do_open_case(lead, title="Colibrí", defenders=[defender], opened_on=opened_on)


# Invented subscribers of the Colombian NGO's alerts, at the demo domain so the demo mailbox
# shows what they receive.
DEMO_SUBSCRIBERS = [
    ("Lucía Andrade", "journalist", "Radio Pacífico", ["es", "en"], "lucia.andrade"),
    ("Jean Moreau", "diplomat", "Embassy human rights desk", ["fr", "es"], "jean.moreau"),
    ("Sam Okafor", "activist", "", ["en"], "sam.okafor"),
    ("Red de Defensoras del Pacífico", "partner", "Red de Defensoras", ["es"], "red.defensoras"),
    ("Amira Haddad", "journalist", "Independent", ["ar", "en"], "amira.haddad"),
]
DEMO_RULE = "Colombia: partners and subscribers, Spanish or English"


def _demo_subscribers() -> None:
    """Subscribers with verified email addresses and one audience rule, added once, so that the
    demo alert has an audience."""
    from salama.audiences import actions
    from salama.audiences.models import AudienceRule

    admin = Membership.objects.filter(organization__slug="tierra-digna", role=Role.ADMIN).first()
    if admin is None or AudienceRule.objects.filter(organization=admin.organization).exists():
        return
    for name, kind, affiliation, languages, local in DEMO_SUBSCRIBERS:
        subscriber = actions.do_create_subscriber(
            admin, kind=kind, display_name=name, affiliation=affiliation, languages=languages, countries=["CO"]
        )
        address = f"{local}@{DEMO_DOMAIN}"
        point = actions.do_add_contact_point(admin, subscriber, channel="email", address=address, consent_how="form")
        actions.do_verify_contact_point(admin, point, reason="Demo data")
    actions.do_create_rule(
        admin,
        name=DEMO_RULE,
        member_organizations=list(Organization.objects.filter(slug__in=["shield-international", "embassy-bogota-hr"])),
        subscriber_kinds=["journalist", "diplomat", "activist", "partner"],
        countries=["CO"],
        languages=["es", "en"],
    )


def _demo_alert() -> None:
    """An urgent alert in review, written by the coordinator, added once: the admin approves it
    (the second person) and publishes it, and the demo mailbox shows it arrive."""
    from datetime import date, timedelta

    from django.utils import timezone

    from salama.alerts.actions import do_create_alert, do_save_target, do_save_version, do_submit
    from salama.alerts.models import Alert
    from salama.defenders.actions import do_record_consent
    from salama.defenders.models import Defender

    org = Organization.objects.filter(slug="tierra-digna").first()
    author = Membership.objects.filter(organization=org, role=Role.COORDINATOR).first()
    defender = Defender.objects.filter(organization=org, public_name="La Maestra").first()
    if author is None or defender is None or Alert.objects.filter(organization=org).exists():
        return
    admin = Membership.objects.get(organization=org, role=Role.ADMIN)
    do_record_consent(admin, defender, scope="named_publicly", given_on=date(2026, 1, 15), how="In person")
    alert = do_create_alert(
        author, default_language="es", deadline=timezone.now() + timedelta(days=14), defenders=[defender]
    )
    do_save_version(
        author,
        alert,
        "es",
        title="Colombia: amenazas de muerte contra La Maestra",
        summary="La Maestra, lideresa de restitución de tierras en Cauca, fue amenazada de muerte tras la audiencia.",
        recommended_actions="Pidan a las autoridades protección inmediata y una investigación imparcial.",
        model_letter="Señor Ministro: le solicito respetuosamente que garantice la protección de La Maestra.",
    )
    do_save_version(
        author,
        alert,
        "en",
        title="Colombia: death threats against La Maestra",
        summary="La Maestra, a land restitution leader in Cauca, received death threats after the hearing.",
        recommended_actions="Urge the authorities to protect her at once and to investigate impartially.",
        model_letter="Dear Minister, I respectfully urge you to guarantee the protection of La Maestra.",
    )
    do_save_target(
        author,
        alert,
        name="Ministro del Interior",
        title="Ministro",
        institution="Ministerio del Interior",
        country="CO",
        postal_address="Carrera 8 No. 7-83, Bogotá",
        email=f"ministro@{DEMO_DOMAIN}",
        salutation="Señor Ministro",
        preferred_language="es",
    )
    do_submit(author, alert)
