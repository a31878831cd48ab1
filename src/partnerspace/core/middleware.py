import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from partnerspace.core.errors import NotAllowed
from partnerspace.core.languages import interface_languages


def request_language(request: HttpRequest) -> str:
    """The interface language: the user's own choice, else the cookie, else Dutch.

    The browser's Accept-Language is deliberately not consulted: the product speaks
    Dutch first, and a Belgian bookkeeper on an English-language browser still gets
    the Dutch interface until they choose otherwise.
    """
    spoken = interface_languages()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in spoken:
        language: str = user.language
        return language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in spoken:
        return cookie
    return settings.LANGUAGE_CODE


def _is_ip_address(value: str) -> bool:
    # "ip:port" from some balancers, or garbage from a miscounted chain: keep the socket's.
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def visitor_address(request: HttpRequest | None) -> str | None:
    """The visitor's address as the throttles count it, or None when the server saw none (a
    Unix socket): ForwardedForMiddleware has already put the right one in REMOTE_ADDR.

    An IPv4 address stands for itself; an IPv6 address for its /64 network (written as the
    network's first address), since one subscriber or server gets a whole /64 and can send
    from any address in it; an IPv4 address written in IPv6 (::ffff:a.b.c.d) is the IPv4."""
    value = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
    return str(address)


class ForwardedForMiddleware:
    """Behind N trusted reverse proxies, the visitor's address is the Nth from the right of
    X-Forwarded-For (each proxy appends the address it saw; what is further left, the visitor
    could have written). Without it every visitor would share the proxy's address, and the
    login and sign-up throttles would lock everyone out together."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = getattr(settings, "PARTNERSPACE_TRUSTED_PROXIES", 0)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies > 0:
            hops = [
                hop.strip()
                for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if hop.strip()
            ]
            if len(hops) >= self.proxies and _is_ip_address(hops[-self.proxies]):
                request.META["REMOTE_ADDR"] = hops[-self.proxies]
        return self.get_response(request)


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class ContentSecurityPolicyMiddleware:
    """Only our own scripts and styles run; no inline script, no framing, no foreign forms."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response


class NoStoreMiddleware:
    """No page or API answer is kept by a browser's or a proxy's cache: almost every one shows a
    firm's, a client's or a person's data (the client list and pages, the firm's settings,
    the client space, the API), and the public ones carry a CSRF token or a secret link.
    A response that chose its own policy keeps it. Static files are served before this runs
    (WhiteNoise), with their own long-lived caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response.headers:
            patch_cache_control(response, private=True, no_store=True)
        return response


class ServiceRefusalMiddleware:
    """A page whose service refuses the user's role answers 403, as the firm's own pages do
    when the role may not open them: views do not check roles again (core.errors.require_role
    does, in the service)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, NotAllowed):
            raise PermissionDenied(exception.message) from exception
        return None
