"""Every change to clients and their contacts: validated, checked, recorded, transactional.

One module per concern, the names the doors call gathered here:
- `clients`: creating, changing (`client_change`, `client_update`), deleting, archiving;
- `contacts`: a client's contact persons;
- `assignments`: the staff assigned to clients;
- `duplicates`: refusing a duplicate, and the derived fields that keep identities unique;
- `restore`: taking back what one operation (an import) did: Drafts deleted, values restored.
"""

from partnerspace.clients.services.assignments import (
    client_assignments_set,
    clients_bulk_assign,
    clients_bulk_unassign,
)
from partnerspace.clients.services.clients import (
    ContactChange,
    client_archive,
    client_change,
    client_change_check,
    client_create,
    client_create_in_firm,
    client_delete,
    client_details_owned_by_client,
    client_update,
    clients_bulk_archive,
    clients_bulk_delete,
)
from partnerspace.clients.services.contacts import (
    contact_add,
    contact_make_primary,
    contact_remove,
    contact_update,
)
from partnerspace.clients.services.duplicates import (
    duplicate_conflict,
    identity_conflict,
    refresh_search,
)
from partnerspace.clients.services.restore import (
    client_values_restore,
    clients_drafts_delete,
    clients_values_restore,
)
from partnerspace.clients.services.results import ClientResult

__all__ = [
    "ClientResult",
    "ContactChange",
    "client_archive",
    "client_assignments_set",
    "client_change",
    "client_change_check",
    "client_create",
    "client_create_in_firm",
    "client_delete",
    "client_details_owned_by_client",
    "client_update",
    "client_values_restore",
    "clients_bulk_archive",
    "clients_bulk_assign",
    "clients_bulk_delete",
    "clients_bulk_unassign",
    "clients_drafts_delete",
    "clients_values_restore",
    "contact_add",
    "contact_make_primary",
    "contact_remove",
    "contact_update",
    "duplicate_conflict",
    "identity_conflict",
    "refresh_search",
]
