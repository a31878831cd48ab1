from django.db.models import QuerySet
from django.http import Http404

from partnerspace.firms.models import Membership
from partnerspace.imports.models import ImportJob


def imports_of_firm(membership: Membership) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(firm_id=membership.firm_id).select_related("created_by")


def imports_listed(membership: Membership) -> QuerySet[ImportJob]:
    """The firm's imports as a list shows them: without the columns one import's mapping
    step keeps (ImportJob.file_columns)."""
    return imports_of_firm(membership).defer("file_columns")


def import_get_for_user(membership: Membership, import_id: int | str) -> ImportJob:
    """One import of the membership's firm; 404 for any other (another firm's, or none)."""
    try:
        return imports_of_firm(membership).get(pk=int(import_id))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def imports_latest(membership: Membership, count: int = 5) -> list[ImportJob]:
    """The firm's latest imports, for those who may import (Overzicht)."""
    if not membership.can_create_clients:
        return []
    return list(imports_listed(membership).order_by("-created_at", "-id")[:count])
