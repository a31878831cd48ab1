from django.db.models import QuerySet

from partnerspace.accounts.models import User
from partnerspace.clients.models import Client, Contact
from partnerspace.companies.models import Company


def companies_of_user(user: User) -> QuerySet[Company]:
    return Company.objects.filter(members__user=user).order_by("legal_name")


def company_firms(company: Company) -> QuerySet[Client]:
    """The firms the company works with, through their client records (never the firm's notes,
    staff or templates: only the firm's name and the link's status are shown)."""
    return (
        Client.objects.filter(company=company)
        .select_related("firm")
        .only("id", "status", "archived_by_client", "firm__name", "company_id")
    )


def company_contacts(company: Company) -> list[Contact]:
    """The company's contact persons, once each, as its linked client records hold them."""
    seen: set[str] = set()
    contacts: list[Contact] = []
    for contact in Contact.objects.filter(client__company=company).order_by(
        "-is_primary", "last_name", "id"
    ):
        key = contact.email.casefold()  # one address in any case, as a client's contacts
        if key not in seen:
            seen.add(key)
            contacts.append(contact)
    return contacts
