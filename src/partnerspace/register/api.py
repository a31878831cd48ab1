"""/api/v1/register: the public company register (KBO/BCE Open Data), as JSON.

Every role of every firm may read it: it is public data, the same for all firms of the
installation. Codes are answered as text in the token owner's language.
"""

from datetime import date, datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from partnerspace.api.schemas import Id, PageNumber, refusals
from partnerspace.core.errors import FieldError, ValidationFailed
from partnerspace.identifiers import rules
from partnerspace.identifiers.messages import ERROR_MESSAGES
from partnerspace.register import services
from partnerspace.register.models import ChangeKind, ChangeState, RegisterChange
from partnerspace.register.selectors import (
    MAX_SEARCH_RESULTS,
    Codes,
    RegisterAddress,
    RegisterCompany,
    RegisterCopy,
    change_shown,
    register_changes_list,
    register_codes,
    register_companies_search,
    register_company_get,
    register_copy,
)

router = Router(tags=["register"])

DEFAULT_SEARCH_RESULTS = 10
DEFAULT_CHANGES_PAGE_SIZE = 50
MAX_CHANGES_PAGE_SIZE = 500
MAX_QUERY_LENGTH = 200


class RegisterCopyOut(Schema):
    """The copy of the register that answered."""

    snapshot_date: date = Field(description="The day the KBO took the snapshot.")
    extract_number: int
    extract_timestamp: datetime | None


class RegisterCodedOut(Schema):
    code: str = Field(description="The KBO's code (code.csv).")
    label: str = Field(description="Its description in your language (Dutch for English).")


class RegisterNameOut(Schema):
    name: str
    language: str = Field(description='"nl", "fr", "de", "en", or "" when unknown.')
    language_label: str
    type: RegisterCodedOut = Field(description="001 name, 002 abbreviation, 003 commercial name.")


class RegisterAddressOut(Schema):
    type: RegisterCodedOut
    street: str
    house_number: str
    box: str
    postal_code: str
    municipality: str
    country: str | None = Field(description="ISO code; null when the name is not recognised.")
    country_name: str
    extra: str
    struck_off_on: date | None


class RegisterContactOut(Schema):
    type: RegisterCodedOut = Field(description="TEL, EMAIL or WEB.")
    value: str


class RegisterCompanyOut(Schema):
    number: str = Field(examples=["0403019261"])
    number_display: str = Field(examples=["0403.019.261"])
    type: RegisterCodedOut = Field(description="1 natural person, 2 legal person.")
    situation: RegisterCodedOut
    legal_form: RegisterCodedOut | None
    legal_form_cac: RegisterCodedOut | None = Field(
        description="The legal form to read until the statutes follow the Code of Companies "
        "and Associations."
    )
    start_date: date | None
    legal_name: str = Field(description="The legal name, in your language when there is one.")
    names: list[RegisterNameOut]
    seat: RegisterAddressOut | None = Field(description="None for a natural person.")
    addresses: list[RegisterAddressOut]
    contacts: list[RegisterContactOut]
    register_copy: RegisterCopyOut


class RegisterMatchOut(Schema):
    number: str
    number_display: str
    name: str = Field(description="The name that matched.")
    legal_name: str
    legal_form: str
    postal_code: str
    municipality: str


class RegisterSearchOut(Schema):
    register_copy: RegisterCopyOut | None = Field(description="None when no register is loaded.")
    results: list[RegisterMatchOut]


def _copy_out(copy: RegisterCopy | None) -> dict | None:
    if copy is None:
        return None
    return {
        "snapshot_date": copy.snapshot_date,
        "extract_number": copy.extract_number,
        "extract_timestamp": copy.extract_timestamp,
    }


def _coded(coded) -> dict | None:
    return None if coded is None else {"code": coded.code, "label": coded.label}


def _address_out(address: RegisterAddress) -> dict:
    return {
        "type": _coded(address.type),
        "street": address.street,
        "house_number": address.house_number,
        "box": address.box,
        "postal_code": address.postal_code,
        "municipality": address.municipality,
        "country": address.country,
        "country_name": address.country_name,
        "extra": address.extra,
        "struck_off_on": address.struck_off_on,
    }


def _company_out(company: RegisterCompany) -> dict:
    return {
        "number": company.number,
        "number_display": rules.format_company_number(company.number),
        "type": _coded(company.type),
        "situation": _coded(company.situation),
        "legal_form": _coded(company.legal_form),
        "legal_form_cac": _coded(company.legal_form_cac),
        "start_date": company.start_date,
        "legal_name": company.legal_name,
        "names": [
            {
                "name": name.name,
                "language": name.language,
                "language_label": name.language_label,
                "type": _coded(name.type),
            }
            for name in company.names
        ],
        "seat": _address_out(company.seat) if company.seat else None,
        "addresses": [_address_out(address) for address in company.addresses],
        "contacts": [
            {"type": _coded(contact.type), "value": contact.value} for contact in company.contacts
        ],
        "register_copy": _copy_out(company.copy),
    }


def not_in_register_message(copy: RegisterCopy | None) -> str:
    if copy is None:
        return _("No company register is loaded in Partner Space.")
    return _("Not in the register of %(date)s: not active, or newer than the copy.") % {
        "date": date_format(copy.snapshot_date)
    }


@router.get(
    "/register/companies/{number}",
    response={200: RegisterCompanyOut, **refusals(401, 404, 422)},
    summary="A company of the public register by its enterprise or VAT number",
)
def register_company(request, number: str = Path(..., max_length=40)):
    """The company with this enterprise number or Belgian VAT number, in any spelling
    (`0403.019.261`, `BE0403019261`, `403019261`). 404 when the register of that date does
    not hold it: it is not active, or newer than the copy."""
    try:
        normalized = rules.company_number(number, country="BE").value
    except rules.IdentifierError as error:
        message = str(ERROR_MESSAGES.get(error.code, ERROR_MESSAGES["invalid_company_number"]))
        raise ValidationFailed([FieldError("number", error.code, message)]) from None
    company = register_company_get(normalized) if normalized else None
    if company is None:
        return Status(404, {"detail": not_in_register_message(register_copy())})
    return Status(200, _company_out(company))


@router.get(
    "/register/companies",
    response={200: RegisterSearchOut, **refusals(401, 422)},
    summary="Companies of the public register by name or number",
)
def register_companies(
    request,
    q: str = Query("", max_length=MAX_QUERY_LENGTH, description="Words of a name, or a number."),
    limit: int = Query(DEFAULT_SEARCH_RESULTS, ge=1, le=MAX_SEARCH_RESULTS),
):
    """The best matches for `q`: names holding every word, in any order, any case and
    without regard to accents, the last word as a prefix (`bakkerij pee`); or, for digits, the
    companies whose enterprise number starts with them."""
    results = register_companies_search(q, limit)
    return Status(
        200,
        {
            "register_copy": _copy_out(register_copy()),
            "results": [
                {
                    "number": match.number,
                    "number_display": rules.format_company_number(match.number),
                    "name": match.name,
                    "legal_name": match.legal_name,
                    "legal_form": match.legal_form,
                    "postal_code": match.postal_code,
                    "municipality": match.municipality,
                }
                for match in results
            ],
        },
    )


# The register watch: changes the register's updates flagged for the firm's clients


class RegisterChangeOut(Schema):
    """What an update of the register changed of a client's company, for one kind."""

    id: int
    client_id: int
    client_name: str
    number: str = Field(description="The enterprise number, 10 digits.")
    kind: ChangeKind = Field(
        description="name (legal name), legal_form, address (seat), situation (juridical "
        "situation), or stopped (gone from the active register)."
    )
    kind_label: str
    before: str = Field(description="The register's value before, as text in your language.")
    after: str = Field(description="The register's value after, as text in your language.")
    before_value: Any = Field(
        description="The value as kept: names [[language code, name]], a KBO code, the seat's "
        "columns, or true/false for stopped."
    )
    after_value: Any
    state: ChangeState
    takes_field: bool = Field(
        description="Taking it over writes the client's own field (legal name, address); "
        "otherwise it is noted in the client's history."
    )
    extract_number: int = Field(description="The update that flagged it (last).")
    snapshot_date: date
    flagged_at: datetime


class RegisterChangePageOut(Schema):
    count: int
    page: int
    page_size: int
    next_page: int | None
    results: list[RegisterChangeOut]


def register_change_out(
    change: RegisterChange, client_name: str | None = None, codes: Codes | None = None
) -> dict:
    shown = change_shown(change, codes)
    return {
        "id": change.pk,
        "client_id": change.client_id,
        "client_name": client_name if client_name is not None else change.client.legal_name,
        "number": change.number,
        "kind": change.kind,
        "kind_label": shown.kind_label,
        "before": shown.before,
        "after": shown.after,
        "before_value": change.before,
        "after_value": change.after,
        "state": change.state,
        "takes_field": shown.writes_client,
        "extract_number": change.extract_number,
        "snapshot_date": change.snapshot_date,
        "flagged_at": change.flagged_at,
    }


@router.get(
    "/register/changes",
    response={200: RegisterChangePageOut, **refusals(401, 422)},
    summary="Open changes of the register for the clients the token may see",
)
def register_changes(
    request,
    page: PageNumber = 1,
    page_size: int = Query(DEFAULT_CHANGES_PAGE_SIZE, ge=1, le=MAX_CHANGES_PAGE_SIZE),
):
    """An accountant sees only the changes of the clients assigned to them. By client name."""
    changes = register_changes_list(request.membership)
    offset = (page - 1) * page_size
    rows = list(changes[offset : offset + page_size + 1])
    codes = register_codes()
    return {
        "count": changes.count(),
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if len(rows) > page_size else None,
        "results": [register_change_out(change, codes=codes) for change in rows[:page_size]],
    }


@router.post(
    "/register/changes/{change_id}/take",
    response={200: RegisterChangeOut, **refusals(401, 404, 409, 422)},
    summary="Take a register change over",
)
def register_change_take(request, change_id: Id):
    """The legal name or the seat goes into the client through its update, with history
    source `register`; a legal form, a juridical situation or a company gone from the register
    is noted in the client's history. 409 `register_change_closed` when it was taken over or
    dismissed already."""
    change = services.register_change_take(membership=request.membership, change_id=change_id)
    return register_change_out(change)


@router.post(
    "/register/changes/{change_id}/dismiss",
    response={200: RegisterChangeOut, **refusals(401, 404, 409, 422)},
    summary="Dismiss a register change",
)
def register_change_dismiss(request, change_id: Id):
    """The same change (client, kind and value) is not flagged again."""
    change = services.register_change_dismiss(membership=request.membership, change_id=change_id)
    return register_change_out(change)
