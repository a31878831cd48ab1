from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from partnerspace.core.numbers import MAX_ID, MAX_PAGE
from partnerspace.core.text import INVALID_CHARACTER, INVALID_CHARACTER_MESSAGE, unstorable

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
    field would otherwise answer 200 and change nothing); text no database can store
    (core.text) is refused in the field that carries it."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if _holds_unstorable(value):
            raise PydanticCustomError(INVALID_CHARACTER, str(INVALID_CHARACTER_MESSAGE))
        return value


def _holds_unstorable(value: Any) -> bool:
    # A nested schema checks its own fields (with their names); lists and mappings of text
    # are checked here.
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, list | tuple | set):
        return any(_holds_unstorable(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_unstorable(key) or _holds_unstorable(v) for key, v in value.items())
    return False


class FieldErrorOut(Schema):
    field: str | None
    code: str
    message: str


class ValidationErrorOut(Schema):
    """A 422: every refused value at once; `field` null for the whole body or object."""

    errors: list[FieldErrorOut]


class ErrorOut(Schema):
    """A refusal (400, 403, 409, 413): a code that does not change, to act on, and a message in
    the token owner's language."""

    code: str = Field(examples=["not_allowed"])
    message: str
    field: str | None = Field(None, description="The field it is about, when it is one.")


class NotFoundOut(Schema):
    """A 404: no such object, or none this token may see."""

    detail: str


class UnauthorizedOut(Schema):
    """No token, or one that is unknown, revoked or expired."""

    detail: str


# The one shape of each refusal. 400: a body that cannot be read (not JSON, a broken
# multipart); 401: no valid token; 403: the token owner's role may not do this; 404: no such
# object in the token's view; 409: the object's state refuses it; 413: a body over the
# server's limit; 422: values refused (api.api turns each exception into its status).
_REFUSALS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: UnauthorizedOut,
    403: ErrorOut,
    404: NotFoundOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
}


def refusals(*statuses: int) -> dict[int, type[Schema]]:
    """The refusals an operation answers, each in its status's one shape, to spread into
    `response=`: `{200: ClientOut, **refusals(401, 404, 422)}`. tests/api/test_answers.py
    checks the rules: 401 everywhere, 422 with any input, 400 and 413 with a body, 404 with
    a path id, 403 and 409 where the services refuse."""
    return {status: _REFUSALS[status] for status in statuses}
