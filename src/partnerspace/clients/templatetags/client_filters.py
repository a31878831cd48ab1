"""The other apps' filters of the client list (clients.views.extra_filters_shown), written in
Python for the reason the rows are (client_rows): every list page draws them, a select and a
dozen options each, and in the template language they cost more than the rest of the form."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from partnerspace.clients.templatetags.client_rows import escape

register = template.Library()


@register.simple_tag
def extra_filter_fields(extra_filters: list[dict], *, all_label: str) -> SafeString:
    anything = f'<option value="">{escape(all_label)}</option>'
    out: list[str] = []
    for extra in extra_filters:
        param = escape(extra["param"])
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if selected else ""}>'
            f"{escape(text)}</option>"
            for value, text, selected in extra["options"]
        )
        out.append(
            f'<div class="field"><label for="filter-{param}">{escape(extra["label"])}</label>'
            f'<select id="filter-{param}" name="{param}" data-testid="filter-{param}">'
            f"{anything}{options}</select></div>"
        )
    return mark_safe("".join(out))  # every value above is escaped
