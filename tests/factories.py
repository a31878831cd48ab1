"""Builders for test data: plain functions with sensible defaults, overridable by keyword."""

import itertools

from partnerspace.accounts.models import User
from partnerspace.api.services import api_token_create
from partnerspace.firms.models import Firm, Membership

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)


def make_user(email: str | None = None, **fields) -> User:
    number = next(_sequence)
    fields.setdefault("first_name", f"Person{number}")
    fields.setdefault("last_name", "Tester")
    return User.objects.create_user(email or f"person{number}@example.example", PASSWORD, **fields)


def make_firm(name: str | None = None, slug: str | None = None) -> Firm:
    number = next(_sequence)
    return Firm.objects.create(name=name or f"Kantoor {number}", slug=slug or f"kantoor-{number}")


def make_member(firm: Firm, *roles: str, user: User | None = None, **user_fields) -> Membership:
    flags = {f"is_{role}": True for role in roles or ("administrator",)}
    return Membership.objects.create(firm=firm, user=user or make_user(**user_fields), **flags)


def make_token(membership: Membership) -> str:
    return api_token_create(membership=membership, name="test").raw


def make_client(membership: Membership, name: str | None = None, **data):
    """A client created through the service, with one contact, as a staff member would."""
    from partnerspace.clients.services import client_create

    number = next(_sequence)
    contact = data.pop("contact", None) or {
        "first_name": "Contact",
        "last_name": f"Number{number}",
        "email": f"contact{number}@client.example",
        "locale": "nl-BE",
    }
    data.setdefault("country", "BE")
    template = data.pop("template", None)
    return client_create(
        membership=membership,
        data={"legal_name": name or f"Client {number} BV", **data},
        contacts=[contact],
        template=template,
    ).client
