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
    if created:
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
    return firm, password, created
