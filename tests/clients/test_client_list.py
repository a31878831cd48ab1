"""The client list: tabs with counts, filters, sorting, pagination, the count cap, no N+1."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerspace.clients import selectors
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.selectors import ClientFilters, client_page, tab_counts
from partnerspace.clients.services import client_assignments_set, contact_add
from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.services import template_delete
from partnerspace.invitations.models import Invitation
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from tests.factories import make_client, make_member

pytestmark = pytest.mark.django_db


def with_status(client, status):
    Client.objects.filter(pk=client.pk).update(status=status)
    client.status = status
    return client


def names(page) -> list[str]:
    return [client.legal_name for client in page.rows]


def list_url(**query) -> str:
    base = reverse("clients:list", args=["alfa"])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def result_count(html: str) -> str:
    return re.search(r'data-testid="result-count">(.*?)</span>', html, re.S).group(1).strip()


@pytest.fixture
def portfolio(firm_a):
    """Two active clients, and a draft, an invited and an archived one."""
    return {
        "active1": with_status(make_client(firm_a.admin, "Alfa Bouw"), ClientStatus.ACTIVE),
        "active2": with_status(make_client(firm_a.admin, "Bêta Transport"), ClientStatus.ACTIVE),
        "draft": make_client(firm_a.admin, "Concept Café"),
        "invited": with_status(make_client(firm_a.admin, "Delta Design"), ClientStatus.INVITED),
        "archived": with_status(make_client(firm_a.admin, "Echo Events"), ClientStatus.ARCHIVED),
    }


# Tabs


def test_the_active_tab_shows_only_active_clients(firm_a, portfolio):
    page = client_page(firm_a.admin, ClientFilters(tab="active"))
    assert names(page) == ["Alfa Bouw", "Bêta Transport"]
    assert page.count == 2


def test_the_inactive_tab_shows_drafts_invited_and_archived_clients(firm_a, portfolio):
    page = client_page(firm_a.admin, ClientFilters(tab="inactive"))
    assert names(page) == ["Concept Café", "Delta Design", "Echo Events"]


def test_the_tabs_show_their_counts(firm_a, web, portfolio):
    html = web(firm_a.manager).get(list_url()).text
    assert 'data-testid="count-active">2<' in html
    assert 'data-testid="count-inactive">3<' in html
    assert tab_counts(firm_a.manager)["draft"] == 1


def test_the_page_lists_the_tab_the_user_chose(firm_a, web, portfolio):
    response = web(firm_a.manager).get(list_url(tab="inactive"))
    assert names(response.context["page"]) == ["Concept Café", "Delta Design", "Echo Events"]
    assert "Alfa Bouw" not in response.text


# Filters


def test_the_status_filter_narrows_the_inactive_tab(firm_a, web, portfolio):
    response = web(firm_a.manager).get(list_url(tab="inactive", status="invited"))
    assert names(response.context["page"]) == ["Delta Design"]
    assert response.context["page"].count == 1


def test_the_template_filter(firm_a, web, portfolio):
    template = ConfigurationTemplate.objects.create(firm=firm_a.firm, name="KMO")
    Client.objects.filter(pk=portfolio["active2"].pk).update(template=template)
    response = web(firm_a.manager).get(list_url(template=template.pk))
    assert names(response.context["page"]) == ["Bêta Transport"]


def test_the_assigned_staff_filter(firm_a, web, portfolio):
    client_assignments_set(
        membership=firm_a.admin, client=portfolio["active1"], membership_ids=[firm_a.accountant.pk]
    )
    response = web(firm_a.manager).get(list_url(assigned=firm_a.accountant.pk))
    assert names(response.context["page"]) == ["Alfa Bouw"]
    response = web(firm_a.manager).get(list_url(assigned=firm_a.manager.pk))
    assert names(response.context["page"]) == []


def test_the_mandate_filter(firm_a, web, portfolio):
    Client.objects.filter(pk=portfolio["active1"].pk).update(peppol_mandate=True)
    signed = web(firm_a.manager).get(list_url(mandate="yes")).context["page"]
    unsigned = web(firm_a.manager).get(list_url(mandate="no")).context["page"]
    assert names(signed) == ["Alfa Bouw"]
    assert names(unsigned) == ["Bêta Transport"]


def test_nonsense_in_the_query_string_falls_back_to_the_defaults(firm_a, web, portfolio):
    response = web(firm_a.manager).get(list_url(page="x", size="7", sort="evil", status="gone"))
    assert response.status_code == 200
    page, filters = response.context["page"], response.context["filters"]
    assert (page.page, page.page_size, filters.sort, filters.status) == (1, 25, "name", "")


# Sorting


def test_sorting_by_name_ignores_case_and_accents(firm_a):
    for name in ("Zeta", "émile", "alfa", "Delta"):
        make_client(firm_a.admin, name)
    ascending = client_page(firm_a.admin, ClientFilters(tab="inactive", sort="name"))
    descending = client_page(firm_a.admin, ClientFilters(tab="inactive", sort="-name"))
    assert names(ascending) == ["alfa", "Delta", "émile", "Zeta"]
    assert names(descending) == ["Zeta", "émile", "Delta", "alfa"]


def test_sorting_by_date_added(firm_a):
    now = timezone.now()
    for days, name in ((3, "Oud"), (1, "Nieuw"), (2, "Midden")):
        client = make_client(firm_a.admin, name)
        Client.objects.filter(pk=client.pk).update(created_at=now - timedelta(days=days))
    oldest_first = client_page(firm_a.admin, ClientFilters(tab="inactive", sort="created"))
    newest_first = client_page(firm_a.admin, ClientFilters(tab="inactive", sort="-created"))
    assert names(oldest_first) == ["Oud", "Midden", "Nieuw"]
    assert names(newest_first) == ["Nieuw", "Midden", "Oud"]


def test_sorting_by_status_follows_the_lifecycle_with_names_in_order(firm_a, portfolio):
    extra = with_status(make_client(firm_a.admin, "Aardbei"), ClientStatus.ARCHIVED)
    lifecycle = [ClientStatus.DRAFT, ClientStatus.INVITED, ClientStatus.ARCHIVED]
    page = client_page(firm_a.admin, ClientFilters(tab="inactive", sort="status"))
    statuses = [client.status for client in page.rows]
    assert statuses == sorted(statuses, key=lifecycle.index)
    assert set(statuses) == set(lifecycle)
    archived = [c.legal_name for c in page.rows if c.status == ClientStatus.ARCHIVED]
    assert archived == [extra.legal_name, "Echo Events"]
    reverse_page = client_page(firm_a.admin, ClientFilters(tab="inactive", sort="-status"))
    reversed_statuses = [c.status for c in reverse_page.rows]
    assert reversed_statuses == sorted(statuses, key=lifecycle.index, reverse=True)


def test_the_sort_links_on_the_page_sort(firm_a, web, portfolio):
    response = web(firm_a.manager).get(list_url(sort="-name"))
    assert names(response.context["page"]) == ["Bêta Transport", "Alfa Bouw"]
    assert 'aria-sort="descending"' in response.text


# Pagination and counts


@pytest.fixture
def thirty(firm_a):
    return [make_client(firm_a.admin, f"Klant {number:02d}") for number in range(30)]


def test_pages_of_25_with_a_next_page(firm_a, web, thirty):
    first = web(firm_a.manager).get(list_url(tab="inactive")).context["page"]
    second = web(firm_a.manager).get(list_url(tab="inactive", page=2)).context["page"]
    assert len(first.rows) == 25 and first.has_next and not first.has_previous
    assert names(second) == [f"Klant {n}" for n in range(25, 30)]
    assert not second.has_next and second.has_previous
    assert (first.count, second.count) == (30, 30)
    assert (second.first_index, second.last_index) == (26, 30)


def test_the_page_size_can_be_chosen(firm_a, web, thirty):
    page = web(firm_a.manager).get(list_url(tab="inactive", size=50)).context["page"]
    assert len(page.rows) == 30
    assert not page.has_next


def test_a_page_past_the_end_is_empty_and_still_counts(firm_a, thirty):
    page = client_page(firm_a.admin, ClientFilters(tab="inactive", query="klant"), page=9)
    assert page.rows == []
    assert page.count == 30


def test_a_search_counts_its_results_exactly_below_the_cap(firm_a, thirty):
    page = client_page(firm_a.admin, ClientFilters(tab="inactive", query="klant"), page_size=10)
    assert (page.count, page.count_is_capped, page.page_count) == (30, False, 3)


def test_a_broad_search_stops_counting_at_the_cap(firm_a, web, thirty, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 12)
    page = client_page(firm_a.admin, ClientFilters(tab="inactive", query="klant"), page_size=10)
    assert (page.count, page.count_is_capped, page.page_count) == (12, True, None)
    html = web(firm_a.manager).get(list_url(tab="inactive", q="klant")).text
    assert result_count(html).endswith("12+")


def test_a_search_at_exactly_the_cap_is_not_marked_capped(firm_a, thirty, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 30)
    page = client_page(firm_a.admin, ClientFilters(tab="inactive", query="klant"), page_size=10)
    assert (page.count, page.count_is_capped) == (30, False)


# Committed for real: the staff added show once their firm's choices_version moves on.
@pytest.mark.django_db(transaction=True)
def test_the_list_page_makes_as_many_queries_for_30_clients_as_for_5(
    firm_a, web, django_assert_max_num_queries
):
    template = ConfigurationTemplate.objects.create(firm=firm_a.firm, name="KMO")
    browser = web(firm_a.manager)

    def add_clients(count):
        for _ in range(count):
            client = make_client(firm_a.admin, template=template)
            client_assignments_set(
                membership=firm_a.admin,
                client=client,
                membership_ids=[firm_a.accountant.pk, firm_a.manager.pk],
            )
            Invitation.objects.create(
                firm=firm_a.firm, client=client, email="x@x.example", sent_at=timezone.now(),
                expires_at=timezone.now() + timedelta(days=30),
            )  # fmt: skip
            ClientPeppol.objects.create(client=client, status=RegistrationStatus.PENDING)

    add_clients(5)
    with CaptureQueriesContext(connection) as five:
        response = browser.get(list_url(tab="inactive", size=50))
    assert len(response.context["page"].rows) == 5
    add_clients(25)
    for number in range(4):  # more staff to choose from in the filter and the bulk bar
        make_member(firm_a.firm, "accountant", first_name=f"Staflid{number}")
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = browser.get(list_url(tab="inactive", size=50))
    assert len(response.context["page"].rows) == 30
    assert response.text.count(">Staflid") == 4
    assert response.text.count('<span class="avatar" title=') == 60
    assert response.text.count('<td class="col-template">KMO</td>') == 30
    sent = '<td class="col-invitation" data-label="Uitnodiging"><span class="badge badge-invited">'
    pending = '<td class="col-peppol" data-label="Peppol"><span class="badge badge-invited">'
    assert response.text.count(sent) == response.text.count(pending) == 30


def test_an_htmx_request_for_the_results_gets_only_the_results(firm_a, web, portfolio):
    response = web(firm_a.manager).get(
        list_url(q="alfa"), headers={"HX-Request": "true", "HX-Target": "client-results"}
    )
    used = [t.name for t in response.templates]
    assert "clients/_results.html" in used
    assert "clients/list.html" not in used
    assert "Alfa Bouw" in response.text


def test_the_list_shows_only_this_firms_clients(firm_a, firm_b, web, portfolio):
    make_client(firm_b.admin, "Foxtrot van B")
    with_status(make_client(firm_b.admin, "Golf van B"), ClientStatus.ACTIVE)
    response = web(firm_a.manager).get(list_url())
    assert "Golf van B" not in response.text
    assert tab_counts(firm_a.manager)["all"] == 5
    theirs = tab_counts(firm_b.manager)
    assert (theirs["active"], theirs["inactive"]) == (1, 1)


def test_links_of_a_client_with_a_five_digit_id_are_not_grouped_like_amounts(firm_a, web):
    Client.objects.create(
        id=12345, firm=firm_a.firm, legal_name="Groot Nummer BV", sort_name="groot nummer bv"
    )
    html = web(firm_a.admin).get("/f/alfa/clients/?tab=inactive").text
    assert "/f/alfa/clients/12345/" in html
    assert 'value="12345"' in html
    assert "12.345" not in html


def test_a_status_filter_counts_exactly_from_the_tab_counts(firm_a, monkeypatch):
    from partnerspace.clients import selectors

    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    for n in range(4):
        make_client(firm_a.admin, f"Concept {n}")
    page = client_page(firm_a.admin, ClientFilters(tab="inactive", status="draft"), page_size=1)
    assert (page.count, page.count_is_capped) == (4, False)


# What a row shows, read as columns of the page's query (client_page, row_people_attach)


def row_of(html: str, name: str) -> str:
    [row] = [row for row in html.split("<tr ")[1:] if f">{name}</a>" in row]
    return row


@pytest.mark.parametrize("who", ["manager", "accountant"])
def test_a_row_shows_the_primary_contact_once_the_template_and_its_staff_by_name(firm_a, web, who):
    template = ConfigurationTemplate.objects.create(firm=firm_a.firm, name="KMO <pakket>")
    client = make_client(
        firm_a.admin,
        "Twee Contacten BV",
        template=template,
        contact={"first_name": "Ann", "last_name": "O'Neil", "email": "ann@x.example",
                 "locale": "nl-BE"},
    )  # fmt: skip
    contact_add(
        membership=firm_a.admin,
        client=client,
        data={"first_name": "Bert", "last_name": "Aerts", "email": "bert@x.example",
              "locale": "nl-BE"},
    )  # fmt: skip
    # Staff by last name: the manager (Tester) after the accountant, whose name sorts first.
    firm_a.accountant.user.last_name = "Adams"
    firm_a.accountant.user.save()
    client_assignments_set(
        membership=firm_a.admin,
        client=client,
        membership_ids=[firm_a.manager.pk, firm_a.accountant.pk],
    )

    html = web(getattr(firm_a, who)).get(list_url(tab="inactive")).text

    assert html.count(">Twee Contacten BV</a>") == 1
    row = row_of(html, "Twee Contacten BV")
    assert 'Ann O&#x27;Neil<div class="sub">ann@x.example</div>' in row
    assert "Bert" not in row
    assert '<td class="col-template">KMO &lt;pakket&gt;</td>' in row
    titles = re.findall(r'<span class="avatar" title="([^"]*)">([^<]*)</span>', row)
    assert titles == [
        (str(firm_a.accountant.user), firm_a.accountant.user.initials),
        (str(firm_a.manager.user), firm_a.manager.user.initials),
    ]


def test_a_row_keeps_the_name_of_a_template_that_was_deleted(firm_a, web):
    template = ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Oud pakket")
    make_client(firm_a.admin, "Van Vroeger BV", template=template)
    template_delete(membership=firm_a.admin, template=template)

    row = row_of(web(firm_a.admin).get(list_url(tab="inactive")).text, "Van Vroeger BV")

    assert '<td class="col-template">Oud pakket</td>' in row
