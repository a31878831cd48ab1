"""The first two middleware of every request: the operator's endpoints, and the request's id,
log line and metrics."""

import hmac
import re
import time
import uuid

import structlog
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from partnerspace.operations import health, metrics
from partnerspace.operations.logs import UNMATCHED

log = structlog.get_logger("partnerspace.request")

REQUEST_ID_HEADER = "X-Request-ID"
# An id handed in by a proxy in front is kept when it looks like one; anything else is
# replaced, so a client cannot write into the logs.
_INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
UNMATCHED_VIEW = "unmatched"


class OperationsEndpointsMiddleware:
    """/healthz, /readyz and /metrics, answered before anything else runs.

    Load balancers and Prometheus call a machine by its address, often over plain HTTP and
    with a Host header that is not the site's: answering here, ahead of the host check, the
    HTTPS redirect, the session and the language, keeps the probes cheap and their answers
    true. Nothing in the answers names a firm, a person or an error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path == "/healthz":
            return _no_store(JsonResponse({"status": health.OK}))
        if path == "/readyz":
            checks = health.readiness()
            ready = all(result == health.OK for result in checks.values())
            body = {"status": health.OK if ready else health.FAILING, "checks": checks}
            return _no_store(JsonResponse(body, status=200 if ready else 503))
        if path == "/metrics":
            return _no_store(self.metrics(request))
        return self.get_response(request)

    def metrics(self, request) -> HttpResponse:
        token = settings.PARTNERSPACE_METRICS_TOKEN
        if not token:
            return HttpResponse(status=404)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            response = HttpResponse(status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        body, content_type = metrics.exposition()
        return HttpResponse(body, content_type=content_type)


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


class RequestLogMiddleware:
    """Give each request an id (answered in X-Request-ID, bound for every log line written
    while it runs and handed to the tasks it queues), then write its one log line and count
    it: firm, user id, URL pattern, status and duration, and nothing a person typed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _INCOMING_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response.headers[REQUEST_ID_HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            view = match.view_name if match is not None else UNMATCHED_VIEW
            metrics.request_finished(
                view=view, method=request.method, status=response.status_code, seconds=seconds
            )
            log.info(
                "request",
                firm=_firm_slug(request),
                user_id=_user_id(request),
                method=request.method,
                route=match.route if match is not None else UNMATCHED,
                view=view,
                status=response.status_code,
                duration_ms=round(seconds * 1000, 1),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


def _firm_slug(request) -> str | None:
    firm = getattr(request, "firm", None)
    return getattr(firm, "slug", None)


def _user_id(request) -> int | None:
    """The user's id if the request looked the user up (or an API token named its owner);
    never a look-up of its own."""
    membership = getattr(request, "membership", None)
    if membership is not None:
        return membership.user_id
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk
