"""Every change to clients and their contacts: validated, checked, recorded, transactional."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.clients.counts import clients_changed
from partnerspace.clients.history import (
    contact_label,
    creation_changes,
    differences,
    history_record,
    snapshot,
)
from partnerspace.clients.models import (
    Client,
    ClientAssignment,
    ClientHistory,
    ClientStatus,
    Contact,
    HistorySource,
)
from partnerspace.clients.search import client_search_fields, identity_key
from partnerspace.clients.selectors import client_duplicates, clients_visible_to
from partnerspace.clients.validation import (
    CLIENT_FIELDS,
    CONTACT_FIELDS,
    FieldWarning,
    client_clean,
    contact_clean,
)
from partnerspace.companies.models import COMPANY_FIELDS, COMPANY_NUMBERS
from partnerspace.core.errors import (
    Conflict,
    FieldError,
    NotAllowed,
    ValidationFailed,
    require_role,
)
from partnerspace.firms.models import AuditEvent, Membership


@dataclass
class ClientResult:
    client: Client
    warnings: list[FieldWarning] = field(default_factory=list)


def duplicate_conflict(firm, duplicates: dict, *, viewer: Membership | None = None) -> Conflict:
    """The refusal for a duplicate: names the existing client and links to it.

    Only when the viewer may see that client: an accountant sees their own clients alone, and
    typing numbers must not tell them the names of the others.
    """
    name, existing = next(iter(duplicates.items()))
    if name == "identity_key":
        return identity_conflict(firm, existing, viewer=viewer)
    labels = {
        "company_number": _("enterprise number"),
        "vat_number": _("VAT number"),
        "external_reference": _("external reference"),
    }
    if viewer is not None and not clients_visible_to(viewer).filter(pk=existing.pk).exists():
        return Conflict(
            "already_exists",
            _("Another client of your firm already has this %(field)s.") % {"field": labels[name]},
            field=name,
        )
    return Conflict(
        "already_exists",
        _("%(client)s already has this %(field)s.")
        % {"client": existing.legal_name, "field": labels[name]},
        field=name,
        existing_id=existing.pk,
        existing_name=existing.legal_name,
        existing_url=reverse("clients:detail", args=[firm.slug, existing.pk]),
    )


def identity_conflict(firm, existing: Client | None, *, viewer=None, anonymous=False) -> Conflict:
    """The refusal for a second client without numbers of the same name and primary
    contact: it links to the existing one for a viewer who may open it; `anonymous` (the
    company's own space, or no viewer who may see it) names no client."""
    visible = (
        existing is not None
        and not anonymous
        and (viewer is None or clients_visible_to(viewer).filter(pk=existing.pk).exists())
    )
    if not visible:
        return Conflict(
            "already_exists",
            _(
                "A client of this name with this primary contact's e-mail address exists "
                "already. Add its enterprise or VAT number, or another contact person, to "
                "tell them apart."
            ),
            field="legal_name",
        )
    return Conflict(
        "already_exists",
        _(
            "%(client)s, with this primary contact's e-mail address, is a client already. "
            "Add its enterprise or VAT number to tell them apart."
        )
        % {"client": existing.legal_name},
        field="legal_name",
        existing_id=existing.pk,
        existing_name=existing.legal_name,
        existing_url=reverse("clients:detail", args=[firm.slug, existing.pk]),
    )


def _refuse_duplicates(
    firm, values: dict, *, exclude_id=None, viewer=None, identity_key=None
) -> None:
    duplicates = client_duplicates(
        firm.pk, values, exclude_id=exclude_id, identity_key=identity_key
    )
    if duplicates:
        raise duplicate_conflict(firm, duplicates, viewer=viewer)


def refresh_search(client: Client, *, viewer: Membership | None = None, anonymous=False) -> None:
    """Write the client's derived fields. Its identity key may now be another client's (a
    name, a number or the primary contact changed): refused as a duplicate, the database
    deciding (see identity_conflict for `viewer` and `anonymous`)."""
    fields = client_search_fields(client, client.contacts.all())
    try:
        with transaction.atomic():
            Client.objects.filter(pk=client.pk).update(**fields)
    except IntegrityError:
        existing = (
            Client.objects.filter(firm_id=client.firm_id, identity_key=fields["identity_key"])
            .exclude(pk=client.pk)
            .first()
        )
        raise identity_conflict(client.firm, existing, viewer=viewer, anonymous=anonymous) from None
    for name, value in fields.items():
        setattr(client, name, value)


def _clean_contacts(contacts: Sequence[dict], country: str | None) -> tuple[list[dict], list]:
    errors, cleaned, warnings = [], [], []
    for index, data in enumerate(contacts):
        try:
            result = contact_clean(data, country=country, prefix=f"contacts.{index}.")
        except ValidationFailed as failed:
            errors += failed.errors
            continue
        cleaned.append({**result.values, "is_primary": bool(data.get("is_primary"))})
        warnings += result.warnings
    if errors:
        raise ValidationFailed(errors)
    return cleaned, warnings


@transaction.atomic
def client_create(
    *,
    membership: Membership,
    data: dict,
    contacts: Sequence[dict],
    template=None,
    source: str = HistorySource.STAFF,
    assigned_ids: Iterable[int] = (),
    integrations: Sequence[dict] = (),
) -> ClientResult:
    """A new Draft client with its first contact(s), and its template applied, all or nothing.

    `assigned_ids` (membership ids) and `integrations` ([{"integration": key or id,
    "settings": {...}}]) come on top of the template's: people already assigned stay once,
    and settings given for an integration the template links too override the template's.
    """
    require_role(membership.can_create_clients)
    also_assigned, problems = [], []
    try:
        also_assigned = _memberships_of_firm(membership.firm_id, assigned_ids)
    except ValidationFailed as failed:
        problems = failed.errors
    result = client_create_in_firm(
        firm=membership.firm,
        actor=membership.user,
        data=data,
        contacts=contacts,
        template=template,
        source=source,
        more_errors=problems,
    )
    _assign_also(membership, result.client, also_assigned, source)
    _link_integrations(membership, result.client, integrations, source)
    return result


@transaction.atomic
def client_create_in_firm(
    *,
    firm,
    actor,
    data: dict,
    contacts: Sequence[dict],
    template=None,
    source: str = HistorySource.STAFF,
    status: str = ClientStatus.DRAFT,
    more_errors: Sequence[FieldError] = (),
) -> ClientResult:
    """Create the client, its contacts and its template's settings, all or nothing.

    No role check here: `client_create` makes it for staff; a firm's registration link
    (the company signing itself up) calls this directly.
    """
    errors: list[FieldError] = list(more_errors)
    try:
        company = client_clean(data)
    except ValidationFailed as failed:
        errors += failed.errors
        company = None
    if not contacts:
        errors.append(FieldError("contacts", "required", _("Add the first contact person.")))
    country = company.values.get("country") if company else data.get("country")
    try:
        people, contact_warnings = _clean_contacts(contacts, country)
    except ValidationFailed as failed:
        errors += failed.errors
    if errors:
        raise ValidationFailed(errors)
    if not any(person["is_primary"] for person in people):
        people[0]["is_primary"] = True
    primary = next(person for person in people if person["is_primary"])
    client = Client(firm=firm, created_by=actor, status=status, **company.values)
    client.identity_key = identity_key(client, primary["email"])
    _refuse_duplicates(firm, company.values, identity_key=client.identity_key)
    if client.peppol_mandate:
        client.mandate_confirmed_at = client.created_at
        client.mandate_confirmed_by = actor
    if template is not None:
        client.template = template
        client.template_name = template.name
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        # Another request created the same client between our check and our insert.
        _refuse_duplicates(firm, company.values, identity_key=client.identity_key)
        raise
    seen_primary = False
    for person in people:
        is_primary = person["is_primary"] and not seen_primary
        seen_primary = seen_primary or is_primary
        Contact.objects.create(client=client, **{**person, "is_primary": is_primary})
    refresh_search(client)
    history_record(
        client=client,
        actor=actor,
        source=source,
        action="created",
        changes=creation_changes(snapshot(client)),
    )
    if template is not None:
        from partnerspace.configuration.services import template_apply

        template_apply(clients=[client], template=template, actor=actor, source=source)
    return ClientResult(client, company.warnings + contact_warnings)


def _assign_also(membership, client: Client, people: list[Membership], source: str) -> None:
    if not people:
        return
    existing = set(client.assignments.values_list("membership_id", flat=True))
    new = [person for person in people if person.pk not in existing]
    if not new:
        return
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(client=client, membership=p) for p in new]
    )
    clients_changed(firm_ids=[client.firm_id])  # an accountant's counts
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="assignment_changed",
        changes=[{"field": "assigned", "old": None, "new": str(p.user)} for p in new],
    )


def _link_integrations(
    membership, client: Client, integrations: Sequence[dict], source: str = HistorySource.STAFF
) -> None:
    """Link each integration by hand; errors name the item: `integrations.<index>.<field>`."""
    from partnerspace.configuration.models import ClientIntegration
    from partnerspace.configuration.services import (
        client_integration_link,
        client_integration_update,
    )

    errors: list[FieldError] = []
    for index, item in enumerate(integrations):
        integration_id = _firm_integration_id(client.firm_id, item.get("integration"))
        settings = dict(item.get("settings") or {})
        linked = (
            ClientIntegration.objects.filter(client=client, firm_integration_id=integration_id)
            .select_related("firm_integration")
            .first()
            if integration_id is not None
            else None
        )
        try:
            if linked is None:
                client_integration_link(
                    membership=membership,
                    client=client,
                    integration_id=integration_id,
                    settings=settings,
                    source=source,
                )
            else:
                client_integration_update(
                    membership=membership,
                    link=linked,
                    settings={**linked.settings, **settings},
                    source=source,
                )
        except ValidationFailed as failed:
            errors += [
                FieldError(f"integrations.{index}.{e.field}", e.code, e.message, e.value)
                for e in failed.errors
            ]
    if errors:
        raise ValidationFailed(errors)


def _firm_integration_id(firm_id: int, ref) -> int | None:
    """The id of the firm integration named by its id or by its catalog key."""
    if ref is None or isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return ref
    text = str(ref).strip()
    if text.isdigit():
        return int(text)
    from partnerspace.configuration.models import FirmIntegration

    return (
        FirmIntegration.objects.filter(firm_id=firm_id, key=text)
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def client_update(
    *, membership: Membership, client: Client, data: dict, source: str = HistorySource.STAFF
) -> ClientResult:
    """Change company data; `data` may hold only the fields to change (the API's PATCH)."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    before = snapshot(client)
    merged = {name: before[name] for name in CLIENT_FIELDS}
    merged.update({name: value for name, value in data.items() if name in CLIENT_FIELDS})
    company = client_clean(merged)
    _refuse_owned_by_client(client, company.values, numbers_too=False)
    for name, value in company.values.items():
        setattr(client, name, value)
    primary = client.contacts.filter(is_primary=True).first()
    key = identity_key(client, primary.email if primary else None)
    _refuse_duplicates(
        client.firm, company.values, exclude_id=client.pk, viewer=membership, identity_key=key
    )
    changes = differences(before, snapshot(client))
    if not changes:
        return ClientResult(client, company.warnings)
    if client_details_owned_by_client(client) and any(
        change["field"] in COMPANY_NUMBERS for change in changes
    ):
        # The numbers are the firm's to change, and the company's own record follows.
        from partnerspace.companies.services import company_numbers_change

        company_numbers_change(
            client=client, numbers={name: getattr(client, name) for name in COMPANY_NUMBERS}
        )
    client.updated_at = timezone.now()
    if client.peppol_mandate != before["peppol_mandate"]:
        if not membership.can_manage_peppol:
            raise NotAllowed(
                "not_allowed",
                _("Only administrators and client managers confirm or withdraw mandates."),
            )
        _mandate_follows(client, membership.user)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        _refuse_duplicates(client.firm, company.values, exclude_id=client.pk, viewer=membership)
        raise
    refresh_search(client, viewer=membership)
    history_record(
        client=client, actor=membership.user, source=source, action="updated", changes=changes
    )
    return ClientResult(client, company.warnings)


def _mandate_follows(client: Client, actor) -> None:
    """Ticking the mandate box is confirming it (who, when); unticking withdraws it, which a
    client registered on Peppol may not do before it is deregistered."""
    if not client.peppol_mandate:
        from partnerspace.peppol.services import mandate_withdrawal_check

        mandate_withdrawal_check(client)
    mandate_confirmation_follow(client, actor)


def mandate_confirmation_follow(client: Client, actor) -> None:
    """The confirmation (who, when) follows the box: set when ticked, cleared when not.
    The caller has checked that a withdrawal is allowed (mandate_withdrawal_check)."""
    client.mandate_confirmed_at = client.updated_at if client.peppol_mandate else None
    client.mandate_confirmed_by = actor if client.peppol_mandate else None


def client_details_owned_by_client(client: Client) -> bool:
    """An Active client linked to its company keeps its own details; the firm sees them."""
    return bool(client.company_id) and client.status == ClientStatus.ACTIVE


def _refuse_owned_by_client(client: Client, values: dict, *, numbers_too: bool = True) -> None:
    """The details an Active, linked client keeps itself may not change from the firm's side.

    Its enterprise and VAT numbers are the firm's (COMPANY_NUMBERS), but only a client edit
    carries them to the company (client_update, which passes numbers_too=False); elsewhere
    (the import) they are refused too, with a word on where to change them.
    """
    if not client_details_owned_by_client(client):
        return
    changed = [
        name
        for name in COMPANY_FIELDS
        if (getattr(client, name) or None) != (values.get(name) or None)
    ]
    kept = [name for name in changed if name not in COMPANY_NUMBERS]
    if kept:
        raise Conflict(
            "owned_by_client",
            _(
                "%(client)s keeps these details up to date itself: ask the client to change "
                "them in its own space."
            )
            % {"client": client.legal_name},
            field=kept[0],
        )
    if changed and numbers_too:
        raise Conflict(
            "owned_by_client",
            _(
                "%(client)s is linked to its own company: change its enterprise or VAT number "
                "on its page, where the company's record follows."
            )
            % {"client": client.legal_name},
            field=changed[0],
        )


@transaction.atomic
def client_delete(*, membership: Membership, client: Client) -> None:
    """Only a Draft may go; its contacts and history go with it, the audit log keeps a line."""
    require_role(membership.can_delete_clients)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status != ClientStatus.DRAFT:
        raise Conflict(
            "not_draft",
            _("Only a client in Draft can be deleted; %(client)s is %(status)s.")
            % {"client": client.legal_name, "status": client.get_status_display().lower()},
        )
    if _on_peppol([client.pk]):
        raise Conflict(
            "registered",
            _("%(client)s is registered on Peppol (or about to be): deregister it first.")
            % {"client": client.legal_name},
        )
    _deletions_audit(membership, [client])
    client.delete()


def _on_peppol(client_ids: list[int]) -> set[int]:
    """Those of the clients with something at the firm's SMP: deleting them would leave it
    published with nothing left here to remove it."""
    from partnerspace.peppol.models import ClientPeppol, RegistrationStatus

    states = ClientPeppol.objects.filter(client_id__in=client_ids).values_list(
        "client_id", "status", "completed_steps"
    )
    return {
        pk
        for pk, status, steps in states
        if status in (RegistrationStatus.PENDING, RegistrationStatus.REGISTERED)
        or (status == RegistrationStatus.FAILED and steps)
    }


def _deletions_audit(membership: Membership, clients: list[Client]) -> None:
    """The audit log keeps a line per deleted client: its name and numbers, who, when."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                firm_id=membership.firm_id,
                actor=membership.user,
                actor_label=membership.user.email,
                action="client.deleted",
                target_type=Client._meta.label_lower,
                target_id=str(client.pk),
                target_label=str(client),
                data={
                    "company_number": client.company_number,
                    "vat_number": client.vat_number,
                    "external_reference": client.external_reference,
                },
            )
            for client in clients
        ],
        batch_size=1000,
    )


def _open_invitations_revoke(client_ids: list[int], now) -> None:
    """The link ends: an invitation still open must not make the client Active again."""
    from partnerspace.invitations.models import Invitation

    Invitation.objects.filter(
        client_id__in=client_ids,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        replaced_at__isnull=True,
    ).update(revoked_at=now)


def _set_status(*, membership, client, status, source=HistorySource.STAFF, **extra) -> Client:
    before = snapshot(client, ("status",))
    if status == ClientStatus.ARCHIVED:
        _open_invitations_revoke([client.pk], timezone.now())
    client.status = status
    for name, value in extra.items():
        setattr(client, name, value)
    client.updated_at = timezone.now()
    client.save(update_fields=["status", "updated_at", *extra])
    actor = membership.user if membership else None
    history_record(
        client=client,
        actor=actor,
        source=source,
        action="status_changed",
        changes=differences(before, snapshot(client, ("status",))),
    )
    if status == ClientStatus.ARCHIVED:
        from partnerspace.peppol.services import peppol_client_archived

        peppol_client_archived(client=client, actor=actor, source=source)
    return client


@transaction.atomic
def client_archive(*, membership: Membership, client: Client) -> Client:
    """End the link with the client: it stays in the list and can be invited again."""
    require_role(membership.can_create_clients)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status == ClientStatus.ARCHIVED:
        return client
    return _set_status(
        membership=membership, client=client, status=ClientStatus.ARCHIVED, archived_by_client=False
    )


# Contacts


def _contact_changes(before: dict, contact: Contact) -> list[dict]:
    return differences(before, snapshot(contact, (*CONTACT_FIELDS, "is_primary")))


@transaction.atomic
def contact_add(
    *, membership: Membership, client: Client, data: dict, source: str = HistorySource.STAFF
) -> ClientResult:
    client = Client.objects.select_for_update().get(pk=client.pk)
    cleaned = contact_clean(data, country=client.country)
    make_primary = bool(data.get("is_primary")) or not client.contacts.exists()
    previous = client.contacts.filter(is_primary=True).first() if make_primary else None
    if previous:
        client.contacts.filter(is_primary=True).update(is_primary=False)
    contact = Contact.objects.create(client=client, is_primary=make_primary, **cleaned.values)
    refresh_search(client, viewer=membership)
    changes = [{"field": "contact", "old": None, "new": contact_label(contact)}]
    if previous:
        changes.append(_primary_change(previous, contact))
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="contact_added",
        changes=changes,
    )
    return ClientResult(client, cleaned.warnings)


@transaction.atomic
def contact_update(
    *, membership: Membership, contact: Contact, data: dict, source: str = HistorySource.STAFF
) -> ClientResult:
    client = Client.objects.select_for_update().get(pk=contact.client_id)
    contact = client.contacts.get(pk=contact.pk)
    before = snapshot(contact, (*CONTACT_FIELDS, "is_primary"))
    merged = {name: before[name] for name in CONTACT_FIELDS}
    merged.update({name: value for name, value in data.items() if name in CONTACT_FIELDS})
    cleaned = contact_clean(merged, country=client.country)
    for name, value in cleaned.values.items():
        setattr(contact, name, value)
    contact.save()
    # Recorded before a change of primary, which must not swallow the other changes.
    changes = _contact_changes(before, contact)
    if changes:
        refresh_search(client, viewer=membership)
        history_record(
            client=client,
            actor=membership.user,
            source=source,
            action="contact_updated",
            changes=[{**change, "contact": contact_label(contact)} for change in changes],
        )
    if data.get("is_primary") and not contact.is_primary:
        return _make_primary(membership, client, contact, source, cleaned.warnings)
    return ClientResult(client, cleaned.warnings)


@transaction.atomic
def contact_make_primary(
    *, membership: Membership, contact: Contact, source: str = HistorySource.STAFF
) -> ClientResult:
    client = Client.objects.select_for_update().get(pk=contact.client_id)
    return _make_primary(membership, client, client.contacts.get(pk=contact.pk), source, [])


def _make_primary(membership, client, contact, source, warnings) -> ClientResult:
    previous = client.contacts.filter(is_primary=True).first()
    if previous and previous.pk == contact.pk:
        return ClientResult(client, warnings)
    # The old primary first: the database allows one primary contact per client at a time.
    client.contacts.filter(is_primary=True).update(is_primary=False)
    Contact.objects.filter(pk=contact.pk).update(is_primary=True)
    refresh_search(client, viewer=membership)  # the identity key follows the primary contact
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="primary_contact_changed",
        changes=[
            {
                "field": "primary_contact",
                "old": contact_label(previous) if previous else None,
                "new": contact_label(contact),
            }
        ],
    )
    return ClientResult(client, warnings)


@transaction.atomic
def contact_remove(
    *, membership: Membership, contact: Contact, source: str = HistorySource.STAFF
) -> None:
    client = Client.objects.select_for_update().get(pk=contact.client_id)
    contact = client.contacts.get(pk=contact.pk)
    others = client.contacts.exclude(pk=contact.pk)
    if not others.exists():
        raise Conflict("last_contact", _("A client keeps at least one contact person."))
    contact.delete()
    changes = [{"field": "contact", "old": contact_label(contact), "new": None}]
    if contact.is_primary:
        successor = others.order_by("created_at", "id").first()
        Contact.objects.filter(pk=successor.pk).update(is_primary=True)
        changes.append(_primary_change(contact, successor))
    refresh_search(client, viewer=membership)
    history_record(
        client=client,
        actor=membership.user,
        source=source,
        action="contact_removed",
        changes=changes,
    )


def _primary_change(old: Contact, new: Contact) -> dict:
    return {"field": "primary_contact", "old": contact_label(old), "new": contact_label(new)}


# Staff assignment


def _memberships_of_firm(firm_id: int, membership_ids: Iterable[int]) -> list[Membership]:
    wanted = {int(pk) for pk in membership_ids}
    found = list(Membership.objects.filter(firm_id=firm_id, pk__in=wanted).select_related("user"))
    if len(found) != len(wanted):
        raise ValidationFailed(
            [FieldError("assigned_users", "unknown_user", _("Choose staff members of this firm."))]
        )
    return found


@transaction.atomic
def client_assignments_set(
    *,
    membership: Membership,
    client: Client,
    membership_ids: Iterable[int],
    source: str = HistorySource.STAFF,
) -> Client:
    """Make exactly these staff members the client's assigned people."""
    require_role(membership.sees_all_clients)
    client = Client.objects.select_for_update().get(pk=client.pk)
    wanted = {m.pk: m for m in _memberships_of_firm(client.firm_id, membership_ids)}
    current = {a.membership_id: a for a in client.assignments.select_related("membership__user")}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(client=client, membership=m) for m in added]
    )
    ClientAssignment.objects.filter(pk__in=[a.pk for a in removed]).delete()
    clients_changed(firm_ids=[client.firm_id])  # an accountant's counts
    changes = [{"field": "assigned", "old": None, "new": str(m.user)} for m in added]
    changes += [{"field": "assigned", "old": str(a.membership.user), "new": None} for a in removed]
    if changes:
        history_record(
            client=client,
            actor=membership.user,
            source=source,
            action="assignment_changed",
            changes=changes,
        )
    return client


@dataclass
class BulkOutcome:
    done: int = 0
    skipped: int = 0


@transaction.atomic
def clients_bulk_assign(
    *, membership: Membership, clients: Iterable[Client], membership_ids: Iterable[int]
) -> BulkOutcome:
    """Add staff members to many clients at once (already assigned ones are left alone)."""
    return _bulk_assignments(membership, clients, membership_ids, assign=True)


@transaction.atomic
def clients_bulk_unassign(
    *, membership: Membership, clients: Iterable[Client], membership_ids: Iterable[int]
) -> BulkOutcome:
    """Take staff members off many clients at once (clients they were not on are skipped)."""
    return _bulk_assignments(membership, clients, membership_ids, assign=False)


def _bulk_assignments(membership, clients, membership_ids, *, assign: bool) -> BulkOutcome:
    """A fixed number of queries whatever the selection: "select all" may hold 10,000."""
    require_role(membership.sees_all_clients)
    people = _memberships_of_firm(membership.firm_id, membership_ids)
    clients = list(clients)
    # The firm's own clients only, locked: a concurrent change cannot insert the same pair.
    ids = list(
        Client.objects.select_for_update()
        .filter(pk__in=[client.pk for client in clients], firm_id=membership.firm_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    existing = set(
        ClientAssignment.objects.filter(client_id__in=ids, membership__in=people).values_list(
            "client_id", "membership_id"
        )
    )
    changed: dict[int, list] = {}
    for client_id in ids:
        changing = [p for p in people if ((client_id, p.pk) in existing) != assign]
        if changing:
            changed[client_id] = changing
    if assign:
        ClientAssignment.objects.bulk_create(
            [
                ClientAssignment(client_id=client_id, membership=person)
                for client_id, changing in changed.items()
                for person in changing
            ],
            batch_size=1000,
        )
    else:
        ClientAssignment.objects.filter(client_id__in=list(changed), membership__in=people).delete()
    clients_changed(firm_ids=[membership.firm_id])  # an accountant's counts
    now = timezone.now()
    ClientHistory.objects.bulk_create(
        [
            ClientHistory(
                client_id=client_id,
                at=now,
                actor=membership.user,
                actor_label=str(membership.user),
                source=HistorySource.STAFF,
                action="assignment_changed",
                changes=[
                    {
                        "field": "assigned",
                        "old": None if assign else str(person.user),
                        "new": str(person.user) if assign else None,
                    }
                    for person in changing
                ],
            )
            for client_id, changing in changed.items()
        ],
        batch_size=1000,
    )
    return BulkOutcome(done=len(changed), skipped=len(clients) - len(changed))


@transaction.atomic
def clients_bulk_archive(*, membership: Membership, clients: Iterable[Client]) -> BulkOutcome:
    """Archive many clients as client_archive does one, in a fixed number of queries (but one
    per client registered on Peppol, which is deregistered)."""
    require_role(membership.can_create_clients)
    clients = list(clients)
    old_status = dict(
        Client.objects.select_for_update()
        .filter(pk__in=[client.pk for client in clients], firm_id=membership.firm_id)
        .exclude(status=ClientStatus.ARCHIVED)
        .values_list("pk", "status")
    )
    ids = list(old_status)
    now = timezone.now()
    _open_invitations_revoke(ids, now)
    Client.objects.filter(pk__in=ids).update(
        status=ClientStatus.ARCHIVED, archived_by_client=False, updated_at=now
    )
    clients_changed(firm_ids=[membership.firm_id])
    user = membership.user
    ClientHistory.objects.bulk_create(
        [
            ClientHistory(
                client_id=pk,
                at=now,
                actor=user,
                actor_label=str(user),
                source=HistorySource.STAFF,
                action="status_changed",
                changes=[{"field": "status", "old": old, "new": ClientStatus.ARCHIVED}],
            )
            for pk, old in old_status.items()
        ],
        batch_size=1000,
    )
    from partnerspace.peppol.services import peppol_clients_archived

    peppol_clients_archived(client_ids=ids, actor=user, source=HistorySource.STAFF)
    return BulkOutcome(done=len(ids), skipped=len(clients) - len(ids))


@transaction.atomic
def clients_bulk_delete(*, membership: Membership, clients: Iterable[Client]) -> BulkOutcome:
    """Delete the Drafts among the clients; the others are skipped and counted. A fixed
    number of queries, whatever the selection's size."""
    require_role(membership.can_delete_clients)
    clients = list(clients)
    drafts = list(
        Client.objects.select_for_update()
        .filter(
            pk__in=[client.pk for client in clients],
            firm_id=membership.firm_id,
            status=ClientStatus.DRAFT,
        )
        .only("pk", "legal_name", "company_number", "vat_number", "external_reference")
    )
    registered = _on_peppol([client.pk for client in drafts])
    drafts = [client for client in drafts if client.pk not in registered]
    _deletions_audit(membership, drafts)
    Client.objects.filter(pk__in=[client.pk for client in drafts]).delete()
    return BulkOutcome(done=len(drafts), skipped=len(clients) - len(drafts))
