from ninja import Schema


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
