"""The demo firm `make run` starts with: enough people and data to click through every page."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction

from partnerspace.accounts.models import User
from partnerspace.firms.models import Firm, Membership
from partnerspace.firms.services import firm_create

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Boekhoudkantoor"
DEMO_ADMIN = "admin@demo.example"
DEMO_STAFF = [
    # email, first name, last name, roles
    ("klantbeheer@demo.example", "Sofie", "Peeters", {"is_client_manager": True}),
    ("boekhouder@demo.example", "Jonas", "Maes", {"is_accountant": True}),
]


def demo_password() -> str:
    """From PARTNERSPACE_DEMO_PASSWORD, else made once and kept under var/ for the next runs."""
    from_env = os.environ.get("PARTNERSPACE_DEMO_PASSWORD", "").strip()
    if from_env:
        return from_env
    path = Path(settings.VAR_DIR) / "demo-password.txt"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


@transaction.atomic
def demo_seed() -> tuple[Firm, str, bool]:
    """Create the demo firm if it is missing; returns (firm, admin password, created)."""
    password = demo_password()
    firm = Firm.objects.filter(slug=DEMO_SLUG).first()
    created = firm is None
    if firm is None:
        firm = firm_create(
            name=DEMO_NAME,
            slug=DEMO_SLUG,
            admin_email=DEMO_ADMIN,
            admin_password=password,
            admin_first_name="An",
            admin_last_name="Janssens",
        ).firm
    admin = User.objects.get(email=DEMO_ADMIN)
    if not admin.check_password(password):
        admin.set_password(password)
        admin.save(update_fields=["password"])
    for email, first, last, roles in DEMO_STAFF:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, password, first_name=first, last_name=last
        )
        Membership.objects.get_or_create(firm=firm, user=user, defaults=roles)
    if created:
        _demo_portfolio(firm)
    return firm, password, created


# Real Belgian enterprise numbers have valid check digits; these are made up but valid.
DEMO_CLIENTS = [
    (
        "Bakkerij Peeters BV",
        "0403019261",
        "Gent",
        "9000",
        "Veldstraat",
        "12",
        "Lies",
        "Peeters",
        "nl-BE",
    ),
    (
        "Garage Dubois SRL",
        "0417497106",
        "Namur",
        "5000",
        "Rue de Fer",
        "8",
        "Marc",
        "Dubois",
        "fr-BE",
    ),
    (
        "Schrijnwerkerij Maes",
        "0436044593",
        "Brugge",
        "8000",
        "Zuidzandstraat",
        "4",
        "Tom",
        "Maes",
        "nl-BE",
    ),
    (
        "Apotheek Lambert",
        "0202239951",
        "Leuven",
        "3000",
        "Bondgenotenlaan",
        "101",
        "Eva",
        "Lambert",
        "nl-BE",
    ),
    (
        "Immo Vastgoed Janssens NV",
        "0477472701",
        "Antwerpen",
        "2000",
        "Meir",
        "50",
        "Jan",
        "Janssens",
        "nl-BE",
    ),
    (
        "Transports Müller SA",
        "0861383160",
        "Eupen",
        "4700",
        "Klötzerbahn",
        "3",
        "Anna",
        "Müller",
        "de-BE",
    ),
]


def _demo_portfolio(firm: Firm) -> None:
    """A template, two integrations and a few clients, made through the services like any other."""
    from partnerspace.clients.services import client_create
    from partnerspace.configuration.services import integration_install, template_create

    admin = Membership.objects.get(firm=firm, user__email=DEMO_ADMIN)
    accountant = Membership.objects.get(firm=firm, user__email="boekhouder@demo.example")
    exact = integration_install(membership=admin, key="exact_online", settings={"region": "be"})
    integration_install(membership=admin, key="octopus")
    template = template_create(
        membership=admin,
        name="Standaard KMO",
        description="Boekhouder Jonas, Exact Online met de externe referentie als divisie.",
        user_ids=[accountant.pk],
        integrations=[{"integration": exact.pk, "settings": {}}],
        is_default=True,
    )
    for number, row in enumerate(DEMO_CLIENTS, start=1):
        name, company, city, postal, street, house, first, last, locale = row
        client_create(
            membership=admin,
            data={
                "legal_name": name,
                "country": "BE",
                "vat_number": f"BE{company}",
                "external_reference": f"{1000 + number}",
                "street": street,
                "house_number": house,
                "postal_code": postal,
                "city": city,
                "peppol_mandate": number % 2 == 0,
            },
            contacts=[
                {
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first.lower()}@{name.split()[0].lower()}.example",
                    "locale": locale,
                }
            ],
            template=template,
        )
