from ninja import Schema
from pydantic import ConfigDict


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
