from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils.translation import gettext_lazy as _lazy

from partnerspace.accounts.models import person_initials, person_label
from partnerspace.clients.listfilters import list_filters, list_filters_apply
from partnerspace.clients.models import (
    INACTIVE_STATUSES,
    Client,
    ClientAssignment,
    ClientHistory,
    ClientStatus,
    Contact,
)
from partnerspace.clients.search import search_filter
from partnerspace.core.lookups import ReadByIds
from partnerspace.core.numbers import int_param
from partnerspace.firms.choices import choices_cached
from partnerspace.firms.models import Membership

PAGE_SIZES = (25, 50, 100)
MAX_PAGE_SIZE = 500
# A search's result count stops here: counting a broad match to the last row costs as much
# as reading the rows, and "1,000+" tells the user enough.
COUNT_LIMIT = 1000
# The tab counts read every client the membership sees; from this many on (about 2 ms of
# counting) they are kept in the cache until the firm's clients change (clients.counts). At
# 100,000 clients the count costs PostgreSQL about 30 ms, on every page of the list.
COUNTS_CACHE_FROM = 5000
# Only to free the memory of counts no one asks for any more: a change to the clients is
# seen at once, whatever this is.
COUNTS_CACHE_SECONDS = 3600

# What a row of the list shows (clients/templatetags/client_rows.py).
ROW_FIELDS = (
    "firm_id", "legal_name", "city", "vat_number", "company_number", "external_reference",
    "template_name", "status", "created_at", "sort_name", "peppol_mandate",
)  # fmt: skip
ROW_PERSON_FIELDS = ("first_name", "last_name", "email")
ROW_COLUMNS = ("id", *ROW_PERSON_FIELDS)  # of the primary contact

# Status sorts by the lifecycle (Concept, Uitgenodigd, Actief, Gearchiveerd), not by its code.
STATUS_ORDER = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(ClientStatus.values)),
    default=Value(len(ClientStatus.values)),
)

SORTS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "status": (STATUS_ORDER.asc(), "sort_name", "id"),
    "-status": (STATUS_ORDER.desc(), "sort_name", "id"),
}


def clients_visible_to(membership: Membership) -> QuerySet[Client]:
    """Every read of clients starts here: the firm's clients, or only an accountant's own."""
    clients = Client.objects.filter(firm_id=membership.firm_id)
    if not membership.sees_all_clients:
        clients = clients.filter(assignments__membership=membership)
    return clients


def client_get_for_user(
    membership: Membership, client_id: int | str, *, for_update: bool = False
) -> Client:
    """One client as this membership may see it; 404 for another firm's or an unassigned one."""
    clients = clients_visible_to(membership).select_related("template")
    if for_update:
        clients = clients.select_for_update(of=("self",))
    try:
        client = clients.get(pk=int(client_id))
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if Membership.firm.is_cached(membership):
        client.firm = membership.firm  # the same firm (clients_visible_to): not read again
    return client


def clients_holding_numbers(membership: Membership, numbers: list[str]) -> dict[str, Client]:
    """Of these Belgian enterprise numbers (10 digits), those a client of the firm holds, as
    enterprise number or as BE VAT number, with that client: only clients this membership may
    see (clients_visible_to), so a look-up never names a client the user may not open."""
    if not numbers:
        return {}
    wanted = set(numbers)
    vat_numbers = {f"BE{number}": number for number in wanted}
    found = clients_visible_to(membership).filter(
        Q(company_number__in=wanted) | Q(vat_number__in=list(vat_numbers))
    )
    holders: dict[str, Client] = {}
    for client in found.only("id", "legal_name", "company_number", "vat_number").order_by("pk"):
        for number in (client.company_number, vat_numbers.get(client.vat_number or "")):
            if number in wanted and number not in holders:
                holders[number] = client
    return holders


def contact_get_for_user(
    membership: Membership, client_id: int | str, contact_id: int | str
) -> Contact:
    client = client_get_for_user(membership, client_id)
    try:
        return client.contacts.get(pk=int(contact_id))
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class ClientFilters:
    query: str = ""
    tab: str = "active"  # active | inactive | all
    status: str = ""
    template_id: int | None = None
    assigned_to: int | None = None  # a membership id
    mandate: bool | None = None
    sort: str = "name"
    # The other apps' filters (clients.listfilters): (query parameter, chosen value) pairs.
    extra: tuple[tuple[str, str], ...] = ()


@dataclass
class ClientPage:
    rows: list[Any]  # ClientRow on the page (for_page), Client for the API
    page: int
    page_size: int
    count: int
    count_is_capped: bool
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.page_size + len(self.rows)

    @property
    def page_count(self) -> int | None:
        if self.count_is_capped:
            return None
        return max(1, -(-self.count // self.page_size))


def _filtered(membership: Membership, filters: ClientFilters) -> tuple[QuerySet[Client], bool]:
    """The filtered clients, and whether anything narrower than a tab was asked for."""
    clients = clients_visible_to(membership)
    if filters.status in ClientStatus.values:
        clients = clients.filter(status=filters.status)
    elif filters.tab == "active":
        clients = clients.filter(status=ClientStatus.ACTIVE)
    elif filters.tab == "inactive":
        clients = clients.filter(status__in=INACTIVE_STATUSES)
    narrowed = bool(filters.query or filters.template_id or filters.assigned_to)
    narrowed = narrowed or filters.mandate is not None
    if filters.template_id:
        clients = clients.filter(template_id=filters.template_id)
    if filters.assigned_to:
        clients = clients.filter(assignments__membership_id=filters.assigned_to)
    if filters.mandate is not None:
        clients = clients.filter(peppol_mandate=filters.mandate)
    if filters.query:
        clients = search_filter(clients, filters.query)
    clients, narrowed_more = list_filters_apply(clients, filters.extra)
    return clients, narrowed or narrowed_more


# The longest search the list reads: the page cuts what is typed, the API refuses more.
MAX_SEARCH_CHARS = 200


def list_filters_from(query: Any) -> ClientFilters:
    """The list's filters as its page (or the export of what it shows) receives them in a
    query string; anything not a choice is left out."""
    mandate = {"yes": True, "no": False}.get(query.get("mandate", ""))
    tab = query.get("tab") if query.get("tab") in {"active", "inactive"} else "active"
    return ClientFilters(
        query=query.get("q", "").strip()[:MAX_SEARCH_CHARS],
        tab=tab,
        status=query.get("status", "") if query.get("status") in ClientStatus.values else "",
        template_id=int_param(query.get("template")),
        assigned_to=int_param(query.get("assigned")),
        mandate=mandate,
        sort=query.get("sort") if query.get("sort") in SORTS else "name",
        extra=tuple(
            (list_filter.param, value)
            for list_filter in list_filters()
            if (value := list_filter.value_of(query.get(list_filter.param)))
        ),
    )


# The client list's own data-quality filter (a clients.listfilters filter like the other
# apps' ones, registered in ClientsConfig.ready): "missing", the clients whose primary contact
# has no e-mail address, or who have no primary contact at all.
CONTACT_FILTER_PARAM = "contact_email"
CONTACT_FILTER_CHOICES = (("missing", _lazy("No primary contact e-mail")),)


def clients_by_contact_email(clients: QuerySet[Client], value: str) -> QuerySet[Client]:
    has_email = Exists(
        Contact.objects.filter(client_id=OuterRef("pk"), is_primary=True).exclude(email="")
    )
    return clients.exclude(has_email) if value == "missing" else clients


def client_ids_matching(membership: Membership, filters: ClientFilters) -> QuerySet[Client, int]:
    clients, _narrowed = _filtered(membership, filters)
    return clients.values_list("id", flat=True)


def client_page(
    membership: Membership,
    filters: ClientFilters,
    *,
    page: int = 1,
    page_size: int = 25,
    counts: dict[str, int] | None = None,
    for_page: bool = True,
) -> ClientPage:
    """One page of the list; `counts` (from tab_counts) spares counting the tab again."""
    page = max(1, page)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    clients, narrowed = _filtered(membership, filters)
    ordered = clients.order_by(*SORTS.get(filters.sort, SORTS["name"]))
    offset = (page - 1) * page_size
    if for_page:
        # What a row of the page shows, and only that (clients/templatetags/client_rows.py),
        # as columns rather than objects: the template's name and the primary contact (one at
        # most, contact_one_primary) come by joins; the staff in one more query
        # (row_people_attach). The API loads its own, fuller set (clients.api).
        values = ordered.annotate(
            row_template_name=F("template__name"),
            primary_contact=FilteredRelation("contacts", condition=Q(contacts__is_primary=True)),
            **{f"row_contact_{name}": F(f"primary_contact__{name}") for name in ROW_COLUMNS},
        ).values_list(*ROW_VALUES)
        rows: list[Any] = [ClientRow(*row) for row in values[offset : offset + page_size + 1]]
    else:
        rows = list(ordered.select_related("template")[offset : offset + page_size + 1])
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    if for_page:
        row_people_attach(rows)
    if not narrowed:
        # A tab, or one status: the grouped count has it exactly, from an index.
        counts = counts or tab_counts(membership)
        count = counts.get(filters.status, 0) if filters.status else counts[filters.tab]
        capped = False
    elif not has_next and (rows or page == 1):
        count, capped = offset + len(rows), False
    else:
        count = clients.order_by()[: COUNT_LIMIT + 1].count()
        capped = count > COUNT_LIMIT
        count = min(count, COUNT_LIMIT)
    return ClientPage(rows, page, page_size, count, capped, has_next)


@dataclass(frozen=True, slots=True)
class RowPerson:
    """A person in a row of the list: a primary contact, or a member of staff assigned."""

    label: str
    email: str
    initials: str

    @classmethod
    def of(cls, first_name: str, last_name: str, email: str) -> "RowPerson":
        return cls(
            person_label(first_name, last_name, email),
            email,
            person_initials(first_name, last_name, email),
        )


# The staff of a page's rows, by name (core.lookups: compiled once).
_ROWS_STAFF = ReadByIds(
    lambda ids: (
        ClientAssignment.objects.filter(client_id__any_of=ids)
        .order_by("membership__user__last_name", "membership__user__first_name", "membership_id")
        .values_list("client_id", *(f"membership__user__{name}" for name in ROW_PERSON_FIELDS))
    )
)


def row_people_attach(rows: list["ClientRow"]) -> None:
    """Give each row its staff by name (`row_staff`), in one query."""
    if not rows:
        return
    staff: dict[int, list[RowPerson]] = {client.pk: [] for client in rows}
    for client_id, first_name, last_name, email in _ROWS_STAFF.rows(staff):
        staff[client_id].append(RowPerson.of(first_name, last_name, email))
    for client in rows:
        client.row_staff = staff[client.pk]


# What client_page reads of each row, in ClientRow's order.
ROW_VALUES = (
    "pk",
    *ROW_FIELDS,
    "row_template_name",
    *(f"row_contact_{name}" for name in ROW_COLUMNS),
)


class ClientRow:
    """A row of the list page: the values it shows, as plain attributes. Not a Client: the
    model's constructor, its signals and deferred fields cost a page of 25 rows about 1,500
    Python calls. The page's doors add the other apps' states (`row_invitation`,
    `row_peppol`: clients.views.client_row_states)."""

    __slots__ = (
        "pk", *ROW_FIELDS, "row_template_name", "row_contact", "row_staff",
        "row_invitation", "row_peppol",
    )  # fmt: skip
    # ROW_FIELDS, set from the query's values in __init__.
    firm_id: int
    legal_name: str
    city: str
    vat_number: str
    company_number: str
    external_reference: str
    template_name: str
    status: str
    created_at: datetime
    sort_name: str
    peppol_mandate: bool

    def __init__(self, pk: int, *values: Any) -> None:
        self.pk = pk
        for name, value in zip(ROW_FIELDS, values, strict=False):
            setattr(self, name, value)
        self.row_template_name = values[len(ROW_FIELDS)]
        contact_id, *contact = values[len(ROW_FIELDS) + 1 :]
        self.row_contact = RowPerson.of(*contact) if contact_id is not None else None
        self.row_staff: list[RowPerson] = []
        self.row_invitation: tuple[str, str] | None = None
        self.row_peppol: tuple[str, str] | None = None

    def get_status_display(self) -> str:
        """As Client's: a template written for a client draws a row the same."""
        return str(ClientStatus(self.status).label)


def tab_counts(membership: Membership) -> dict[str, int]:
    """Clients per tab; for a large firm, as counted since its clients last changed."""
    version = membership.firm.clients_version
    key = f"clients:tab-counts:{membership.firm_id}:{version}:{membership.clients_seen}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = _tab_counts_now(membership)
        if counts["all"] >= COUNTS_CACHE_FROM:
            cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def _tab_counts_now(membership: Membership) -> dict[str, int]:
    """Clients per tab, from one grouped count over an index.

    An accountant's count starts from their own assignments (a membership belongs to one
    firm, and assignments join only clients of that firm): the planner then reads a few
    thousand rows instead of probing every client of the firm.
    """
    if membership.sees_all_clients:
        of_firm = Client.objects.filter(firm_id=membership.firm_id).values_list("status")
        per_status: dict[str, int] = dict(
            of_firm.order_by().annotate(n=Count("id")).values_list("status", "n")
        )
    else:
        assigned = ClientAssignment.objects.filter(membership=membership).values_list(
            "client__status"
        )
        per_status = dict(
            assigned.order_by().annotate(n=Count("id")).values_list("client__status", "n")
        )
    active = per_status.get(ClientStatus.ACTIVE, 0)
    inactive = sum(per_status.get(status, 0) for status in INACTIVE_STATUSES)
    return {"active": active, "inactive": inactive, "all": active + inactive, **per_status}


def client_duplicates(
    firm_id: int,
    values: dict[str, Any],
    *,
    exclude_id: int | None = None,
    identity_key: str | None = None,
) -> dict[str, Client]:
    """The existing clients of the firm that hold one of these identifiers: {field: client}.
    With `identity_key` (see clients.search.identity_key), also the client without numbers
    of the same name and primary contact address: {"identity_key": client}."""
    lookups = {
        name: values.get(name)
        for name in ("company_number", "vat_number", "external_reference")
        if values.get(name)
    }
    if identity_key:
        lookups["identity_key"] = identity_key
    if not lookups:
        return {}
    condition = Q()
    for name, value in lookups.items():
        condition |= Q(**{name: value})
    found = Client.objects.filter(condition, firm_id=firm_id)
    if exclude_id:
        found = found.exclude(pk=exclude_id)
    duplicates: dict[str, Client] = {}
    for client in found.only("id", "legal_name", *lookups):
        for name, value in lookups.items():
            if getattr(client, name) == value and name not in duplicates:
                duplicates[name] = client
    return duplicates


def client_history(client: Client) -> QuerySet[ClientHistory]:
    return client.history.select_related("actor")


def client_contacts(client: Client) -> QuerySet[Contact]:
    return client.contacts.all()


def staff_names(membership: Membership) -> list[tuple[int, str]]:
    """(membership id, name) of each of the firm's staff, for the list's filter and its bulk
    action: kept until the firm's staff change (firms.choices)."""
    return choices_cached(
        membership.firm,
        "staff",
        lambda: [
            (pk, person_label(first_name, last_name, email))
            for pk, first_name, last_name, email in Membership.objects.filter(
                firm_id=membership.firm_id
            )
            .order_by("user__first_name", "user__last_name", "pk")
            .values_list("pk", *(f"user__{name}" for name in ROW_PERSON_FIELDS))
        ],
    )


def staff_choices(membership: Membership) -> QuerySet[Membership]:
    """The firm's staff to choose from (filter, assignment, template): each one's name and
    roles, and nothing more of the person (not their password hash)."""
    return (
        Membership.objects.filter(firm_id=membership.firm_id)
        .select_related("user")
        .only(
            "firm_id",
            "user_id",
            "is_administrator",
            "is_client_manager",
            "is_accountant",
            *(f"user__{name}" for name in ROW_PERSON_FIELDS),
        )
        .order_by("user__first_name", "user__last_name")
    )
