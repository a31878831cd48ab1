"""The templates' {% url %} remembers the paths it reversed (core.links): the same paths as
Django's reverse, a new URL configuration's paths once it is swapped, and a bounded table."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, path, reverse

from partnerspace.core import links


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_url_tag_gives_what_reverse_gives_with_arguments_and_as_a_variable():
    expected = reverse("clients:list", args=["kantoor-a"])
    assert _render("{% url 'clients:list' slug %}", slug="kantoor-a") == expected
    assert _render("{% url 'clients:list' slug as u %}[{{ u }}]", slug="kantoor-a") == (
        f"[{expected}]"
    )
    # Remembered: the second page with the same link gets the same path, another firm its own.
    assert _render("{% url 'clients:list' slug %}", slug="kantoor-a") == expected
    assert _render("{% url 'clients:list' slug %}", slug="kantoor-b") == reverse(
        "clients:list", args=["kantoor-b"]
    )


def test_an_unknown_name_still_fails_and_as_a_variable_gives_an_empty_path():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'clients:nothing-of-the-kind' %}")
    assert _render("{% url 'clients:nothing-of-the-kind' as u %}[{{ u }}]") == "[]"


def _page(request):  # a view for the swapped URL configuration below
    raise AssertionError("never called")


urlpatterns = [path("elsewhere/<slug:firm_slug>/", _page, name="elsewhere")]


def test_a_swapped_url_configuration_is_not_answered_from_the_old_one():
    source = "{% url 'elsewhere' 'kantoor-a' %}"
    with override_settings(ROOT_URLCONF=__name__):
        assert _render(source) == "/elsewhere/kantoor-a/"
    with pytest.raises(NoReverseMatch):
        _render(source)


def test_the_table_of_remembered_paths_is_bounded(monkeypatch):
    monkeypatch.setattr(links, "MAX_REMEMBERED", 3)
    links._remembered.clear()
    for number in range(10):
        links.reverse_remembered("clients:list", [f"kantoor-{number}"], {})
    assert 0 < len(links._remembered) <= 3
