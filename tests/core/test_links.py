"""The templates' {% url %} remembers the paths it reversed for a page (core.links): the same
paths as Django's reverse, under the script prefix of the moment, a new URL configuration's
paths once it is swapped, a bounded table, and never an e-mail's secret links."""

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, path, reverse, set_script_prefix

from partnerspace.core import links


def _page(source: str, **context) -> str:
    """Drawn as a page is: for a request."""
    request = RequestFactory().get("/")
    return Template(source).render(RequestContext(request, context))


@pytest.fixture
def reversals(monkeypatch):
    """The reverse() calls the tag makes, by view name; an empty table to start from."""
    made: list[str] = []

    def counted(view_name, *args, **kwargs):
        made.append(view_name)
        return reverse(view_name, *args, **kwargs)

    monkeypatch.setattr(links, "reverse", counted)
    links._remembered.clear()
    return made


def test_a_page_reverses_a_link_once_and_gets_what_reverse_gives(reversals):
    assert isinstance(Template("{% url 'home' %}").nodelist[0], links.RememberedURLNode)
    expected = reverse("clients:list", args=["kantoor-a"])
    for _page_drawn in range(3):
        assert _page("{% url 'clients:list' slug %}", slug="kantoor-a") == expected
        assert _page("{% url 'clients:list' slug as u %}[{{ u }}]", slug="kantoor-a") == (
            f"[{expected}]"
        )
    assert reversals == ["clients:list"]
    assert _page("{% url 'clients:list' slug %}", slug="kantoor-b") == reverse(
        "clients:list", args=["kantoor-b"]
    )
    assert reversals == ["clients:list", "clients:list"]


def test_an_unknown_name_still_fails_and_as_a_variable_gives_an_empty_path():
    with pytest.raises(NoReverseMatch):
        _page("{% url 'clients:nothing-of-the-kind' %}")
    assert _page("{% url 'clients:nothing-of-the-kind' as u %}[{{ u }}]") == "[]"


def test_a_path_is_remembered_under_its_script_prefix(reversals):
    source = "{% url 'clients:list' 'kantoor-a' %}"
    try:
        set_script_prefix("/kantoor/")
        assert _page(source) == "/kantoor/f/kantoor-a/clients/"
    finally:
        set_script_prefix("/")
    assert _page(source) == "/f/kantoor-a/clients/"


def test_an_emails_secret_link_is_reversed_each_time_and_never_kept(reversals):
    source = "{% url 'invitation_accept' token %}"
    secret = "s3cr3t-selector.s3cr3t-verifier"
    for _mail in range(2):
        assert secret in Template(source).render(Context({"token": secret}))
    assert reversals == ["invitation_accept", "invitation_accept"]
    assert secret not in str(links._remembered)


def _view(request):  # a view for the swapped URL configuration below
    raise AssertionError("never called")


urlpatterns = [path("elsewhere/<slug:firm_slug>/", _view, name="elsewhere")]


def test_a_swapped_url_configuration_is_not_answered_from_the_old_one():
    source = "{% url 'elsewhere' 'kantoor-a' %}"
    with override_settings(ROOT_URLCONF=__name__):
        assert _page(source) == "/elsewhere/kantoor-a/"
    with pytest.raises(NoReverseMatch):
        _page(source)


def test_the_table_of_remembered_paths_is_bounded(monkeypatch):
    monkeypatch.setattr(links, "MAX_REMEMBERED", 3)
    links._remembered.clear()
    for number in range(10):
        links.reverse_remembered("clients:list", [f"kantoor-{number}"], {})
    assert 0 < len(links._remembered) <= 3
