"""Whole numbers read from a request (ids, page numbers): within what the databases hold.

Ids are 64-bit. A larger number names nothing, and the databases cannot even compare it
(SQLite's driver raises OverflowError, PostgreSQL "bigint out of range"), so it is refused
where the request is read: pages treat it as absent, the API as an invalid value
(api.schemas' Id and PageNumber carry these bounds into the OpenAPI document).
"""

MAX_ID = 2**63 - 1
# Far past any list's end, and small enough that page × page size stays a 64-bit offset.
MAX_PAGE = 1_000_000_000


def int_param(value: object, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """The whole number in a query or form value, or None for anything else or out of range."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(str(value))  # Python refuses over 4,300 digits itself
    except ValueError:
        return None
    return number if minimum <= number <= maximum else None
