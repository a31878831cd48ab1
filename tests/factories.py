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
