from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from partnerspace.core.numbers import MAX_ID, MAX_PAGE

# Every integer a request carries (path, query or body) is one of these: bounded, so that a
# number beyond 64 bits is a 422 here and never reaches a database that cannot hold it.
# tests/api/test_integer_bounds.py fails on an unbounded integer in the OpenAPI document.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]


def _id_in_range(value):
    # Checked before the union: a number out of range would otherwise fail both of its
    # members and be reported twice, under pydantic's names for them.
    if isinstance(value, int) and not isinstance(value, bool):
        if value > MAX_ID:
            raise PydanticCustomError("less_than_equal", "at most {le}", {"le": MAX_ID})
        if value < 1:
            raise PydanticCustomError("greater_than_equal", "at least {ge}", {"ge": 1})
    return value


# An id, or a name or catalog key that the service looks up.
IdOrName = Annotated[Id | str, BeforeValidator(_id_in_range)]


class InputSchema(Schema):
    """A request body: a key it does not know is refused, never silently dropped (a misspelt
    field would otherwise answer 200 and change nothing)."""

    model_config = ConfigDict(extra="forbid")


class FieldErrorOut(Schema):
    field: str | None
    code: str
    message: str


class ValidationErrorOut(Schema):
    errors: list[FieldErrorOut]


class ErrorOut(Schema):
    code: str
    message: str


class NotFoundOut(Schema):
    detail: str


class UnauthorizedOut(Schema):
    """No token, or one that is unknown, revoked or expired."""

    detail: str
