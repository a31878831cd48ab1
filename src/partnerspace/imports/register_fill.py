"""The public register beside an imported row: blank cells filled from it, and what it says
otherwise about the row's name and number, as warnings. Errors stay the rules' errors.

A batch of rows looks the register up at once (one query), never row by row. Without a
loaded register nothing changes.
"""

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from partnerspace.identifiers import rules
from partnerspace.register.selectors import (
    RegisterBrief,
    RegisterCopy,
    name_is_known,
    normalized_number,
    register_companies_brief,
)

FILLED = "filled_from_register"
NAME_DIFFERS = "register_name_differs"
NOT_IN_REGISTER = "not_in_register"
ADDRESS_KEYS = ("street", "house_number", "box", "postal_code", "city")


@dataclass(frozen=True, slots=True)
class RegisterNote:
    """A warning like the rules' repairs, about what the register says of a row."""

    field: str
    code: str
    value: str
    normalized: str
    register_date: str = ""
    routine = False

    @property
    def message(self) -> str:
        if self.code == FILLED:
            return _("Empty in the file; filled in from the KBO register: %(value)s.") % {
                "value": self.normalized
            }
        if self.code == NAME_DIFFERS:
            return _("The KBO register knows this company as %(name)s.") % {"name": self.normalized}
        return _(
            "%(number)s is not in the KBO register of %(date)s: not active, or newer than the copy."
        ) % {"number": self.value, "date": self.register_date}


def _number_of(data: dict) -> tuple[str, str, str] | None:
    """(column, cell, enterprise number) of the row's first valid Belgian number."""
    country = str(data.get("country") or "").strip()
    if country:
        try:
            if rules.country(country).value != "BE":
                return None
        except rules.IdentifierError:
            return None
    for key in ("company_number", "vat_number"):
        cell = str(data.get(key) or "").strip()
        number = normalized_number(cell) if cell else None
        if number:
            return key, cell, number
    return None


def register_fill(rows: list[tuple[int, dict]], copy: RegisterCopy | None) -> dict[int, list]:
    """Fill the blank legal name and address cells of `rows` ((row number, cells by key),
    changed in place) from the register `copy`; the register's warnings by row number."""
    if copy is None:
        return {}
    numbers = {row: found for row, data in rows if (found := _number_of(data))}
    companies = register_companies_brief([n for _k, _c, n in numbers.values()], copy=copy)
    notes: dict[int, list] = {}
    for row, data in rows:
        if row not in numbers:
            continue
        key, cell, number = numbers[row]
        company = companies.get(number)
        if company is None:
            when = date_format(copy.snapshot_date, "SHORT_DATE_FORMAT")
            notes[row] = [RegisterNote(key, NOT_IN_REGISTER, cell, "", when)]
            continue
        notes[row] = _fill(data, company)
    return notes


def _fill(data: dict, company: RegisterBrief) -> list[RegisterNote]:
    notes = []
    name = str(data.get("legal_name") or "").strip()
    if not name and company.legal_name:
        data["legal_name"] = company.legal_name
        notes.append(RegisterNote("legal_name", FILLED, "", company.legal_name))
    elif name and company.names and not name_is_known(name, company.names):
        notes.append(RegisterNote("legal_name", NAME_DIFFERS, name, company.legal_name))
    seat = company.seat
    if seat is None or any(str(data.get(key) or "").strip() for key in ADDRESS_KEYS):
        return notes  # a row's own address, even in part, is not mixed with the register's
    country = str(data.get("country") or "").strip()
    if (country and seat.country != "BE") or (not country and seat.country is None):
        return notes
    values = {
        "street": seat.street,
        "house_number": seat.house_number,
        "box": seat.box,
        "postal_code": seat.postal_code,
        "city": seat.municipality,
    }
    if not country:
        values["country"] = seat.country or ""
    for key, value in values.items():
        if value:
            data[key] = value
            notes.append(RegisterNote(key, FILLED, "", value))
    return notes
