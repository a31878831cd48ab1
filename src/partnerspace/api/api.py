"""The JSON API at /api/v1/: one NinjaAPI, a router per app, one shape for every refusal."""

import re

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from partnerspace.api.auth import TokenAuth
from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.core.text import INVALID_CHARACTER, INVALID_CHARACTER_MESSAGE

api = NinjaAPI(
    title="Partner Space API",
    version="1",
    description=(
        "The client portfolio of an accounting firm. Authenticate with a personal API token "
        "(made on the API tokens page of your account, or with `partnerspace create_api_token`) "
        "sent as `Authorization: Bearer <token>`; a token sees only its own firm, and stops "
        "working when it expires or is revoked (`DELETE /api/v1/tokens/{id}`).\n\n"
        "Each refusal has one shape, its messages in the token owner's language: "
        "`{code, message}` for a 400 (a body that cannot be read), 403 (your role does not "
        "allow it), 409 (the object's state refuses it) and 413 (a body too large); "
        "`{detail}` for a 401 (no valid token) and a 404 (no such object in your firm); "
        '`{"errors": [{field, code, message}]}` for a 422 (refused values, all at once). '
        "Each operation lists the ones it can answer."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
)

# Each status answers in one shape (see the description above), declared per operation with
# api.schemas.refusals.


def _refusal(request, status: int, code: str, message: str):
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(ValidationFailed)
def on_validation_failed(request, exc: ValidationFailed):
    return api.create_response(
        request,
        {
            "errors": [
                {"field": error.field, "code": error.code, "message": error.message}
                for error in exc.errors
            ]
        },
        status=422,
    )


@api.exception_handler(ServiceError)
def on_service_error(request, exc: ServiceError):
    body: dict[str, object] = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    body.update(exc.extra)
    return api.create_response(request, body, status=exc.status)


def _schema_error_message(item: dict) -> tuple[str, str]:
    """The code and the reader's-language message for one of pydantic's error types."""
    kind = item.get("type", "")
    limit = (item.get("ctx") or {}).get("le", (item.get("ctx") or {}).get("ge"))
    if kind == "missing":
        return "required", _("This field is required.")
    if kind == INVALID_CHARACTER:
        return INVALID_CHARACTER, str(INVALID_CHARACTER_MESSAGE)
    if kind == "extra_forbidden":
        return "unknown_field", _("Unknown field: leave it out or check its spelling.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "invalid", _("Enter a whole number.")
    if kind == "less_than_equal":
        return "invalid", _("Enter a number of at most %(limit)s.") % {"limit": limit}
    if kind == "greater_than_equal":
        return "invalid", _("Enter a number of at least %(limit)s.") % {"limit": limit}
    if kind in {"bool_parsing", "bool_type"}:
        return "invalid", _("Enter true or false.")
    if kind == "string_too_long":
        longest = (item.get("ctx") or {}).get("max_length")
        return "invalid", _("Enter at most %(limit)s characters.") % {"limit": longest}
    if kind in {"string_type", "string_too_short"}:
        return "invalid", _("Enter a text.")
    if kind in {"list_type", "tuple_type", "set_type"}:
        return "invalid", _("Enter a list.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "invalid", _("Enter an object.")
    if kind in {"enum", "literal_error"}:
        # Pydantic joins the choices in English ("'a', 'b' or 'c'"): keep only the values.
        expected = re.findall(r"'([^']*)'", str((item.get("ctx") or {}).get("expected", "")))
        return "invalid", _("Choose one of: %(choices)s.") % {"choices": ", ".join(expected)}
    if kind == "json_invalid":
        return "invalid_json", _("The request body is not valid JSON.")
    return "invalid", _("Invalid value.")


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    # Malformed requests (wrong types, missing keys) answer in the same shape as rule failures,
    # in the token owner's language like every other message.
    errors = []
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in {"body", "payload"}]
        code, message = _schema_error_message(item)
        errors.append(
            {
                "field": ".".join(
                    location[1:] if location[:1] in (["query"], ["path"], ["form"]) else location
                )
                or None,
                "code": code,
                "message": message,
            }
        )
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(HttpError)
def on_unreadable_json(request, exc: HttpError):
    # Ninja's one HttpError on these operations: a body its parser cannot read as JSON. Its
    # own answer is in English only, and under DEBUG repeats the parser's words.
    return _refusal(request, 400, "unreadable_body", _("The request body cannot be read as JSON."))


@api.exception_handler(MultiPartParserError)
def on_unreadable_multipart(request, exc):
    # Django answers this 400 itself, but only once the exception leaves Ninja, whose own
    # handler turns it into a 500 under DEBUG; and the API answers in its own shape.
    return _refusal(
        request,
        400,
        "unreadable_body",
        _("The request body cannot be read as multipart/form-data."),
    )


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_too_many_parts(request, exc):
    # Django's own answer would be an HTML page, and a line in the security log.
    return _refusal(
        request,
        400,
        "unreadable_body",
        _("The request body has more parts than this server accepts."),
    )


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request, exc):
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return _refusal(
        request,
        413,
        "body_too_large",
        _("The request body is larger than the %(limit)s this server accepts.") % {"limit": limit},
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _refusal(request, 403, "not_allowed", _("Your role does not allow this."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": _("Missing or invalid API token.")}, status=401)


def _register_routers() -> None:
    from partnerspace.api.token_api import router as tokens_router
    from partnerspace.clients.api import router as clients_router
    from partnerspace.configuration.api import router as configuration_router
    from partnerspace.firms.api import router as firms_router
    from partnerspace.imports.api import router as imports_router
    from partnerspace.invitations.api import router as invitations_router
    from partnerspace.peppol.api import router as peppol_router
    from partnerspace.register.api import router as register_router
    from partnerspace.vies.api import router as vies_router

    api.add_router("/", firms_router)
    api.add_router("/", clients_router)
    api.add_router("/", configuration_router)
    api.add_router("/", invitations_router)
    api.add_router("/", peppol_router)
    api.add_router("/", imports_router)
    api.add_router("/", tokens_router)
    api.add_router("/", register_router)
    api.add_router("/", vies_router)


_register_routers()
