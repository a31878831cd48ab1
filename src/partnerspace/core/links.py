"""URL names reversed once per process: every page draws the same menu links (a dozen
`{% url %}` tags), and Django's `reverse` matches the URL patterns again for each, a twentieth
of a page's time. The URL configuration does not change while a process runs, so the same
name, arguments and prefix always give the same path.

The templates' `{% url %}` is this one (core.templatetags.ps, a builtin): Django's tag, its
answers remembered."""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context, defaulttags
from django.template.base import Parser, Token
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

# Paths remembered; the table starts again when full (row links of many clients, many firms).
MAX_REMEMBERED = 4096
_remembered: dict[tuple[object, ...], str] = {}


def reverse_remembered(
    view_name: str, args: list[object], kwargs: dict[str, object], current_app: str | None = None
) -> str:
    """reverse(view_name, args=args, kwargs=kwargs, current_app=current_app), remembered."""
    try:
        key = (
            view_name,
            tuple(args),
            tuple(sorted(kwargs.items())),
            current_app,
            get_urlconf(),
            get_script_prefix(),
        )
        return _remembered[key]
    except TypeError:  # an argument that cannot be a key: not remembered
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    except KeyError:
        pass
    path = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    if len(_remembered) >= MAX_REMEMBERED:
        _remembered.clear()
    _remembered[key] = path
    return path


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: object) -> None:
    """A test that swaps the URL configuration gets paths of the new one."""
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _remembered.clear()


class RememberedURLNode(defaulttags.URLNode):
    """Django's URLNode, reversing through reverse_remembered on a page drawn for a request.
    A template drawn without one (an e-mail) reverses each time: its links carry secret
    tokens (invitations, password resets), which no table should keep."""

    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        # As Django's tag: the request's current app, else its namespace (a RequestContext).
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None and not hasattr(request, "current_app"):
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        try:
            if request is None:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            else:
                url = reverse_remembered(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def url_tag(parser: Parser, token: Token) -> RememberedURLNode:
    node = defaulttags.url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
