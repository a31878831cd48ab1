"""The client page: details, contacts, assigned staff, integrations, status, mandate, history."""

import re

import pytest
from django.urls import reverse

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.services import client_assignments_set
from partnerspace.configuration.models import ClientIntegration
from partnerspace.configuration.services import integration_install, template_create
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def url(name, client, *args):
    return reverse(f"clients:{name}", args=[client.firm.slug, client.pk, *args])


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : start + 4000]


@pytest.fixture
def client(firm_a):
    return make_client(
        firm_a.admin,
        "Alfa Bouw BV",
        vat_number="BE0403019261",
        external_reference="123456",
        iban="BE71096123456769",
        street="Veldstraat",
        house_number="1",
        postal_code="9000",
        city="Gent",
        peppol_mandate=True,
        contact={
            "first_name": "Sofie",
            "last_name": "Vermeulen",
            "email": "sofie@alfa.example",
            "locale": "nl-BE",
        },
    )


@pytest.fixture
def exact(firm_a):
    return integration_install(
        membership=firm_a.admin, key="exact_online", settings={"region": "be"}
    )


def test_the_client_page_shows_the_company_details(firm_a, web, client):
    response = web(firm_a.manager).get(url("detail", client))
    assert response.status_code == 200
    details = section(response.text, "client-details")
    assert "Alfa Bouw BV" in details
    assert "BE 0403.019.261" in section(response.text, "vat")
    assert "BE71 0961 2345 6769" in section(response.text, "iban")
    assert "0403.019.261" in details
    assert "Veldstraat 1" in details and "9000 Gent" in details
    assert "123456" in details


def test_the_client_page_shows_the_status(firm_a, web, client):
    Client.objects.filter(pk=client.pk).update(status=ClientStatus.INVITED)
    html = web(firm_a.manager).get(url("detail", client)).text
    assert re.search(r'class="badge badge-invited" data-testid="client-status"', html)


def test_the_client_page_lists_the_contacts_with_the_primary_marked(firm_a, web, client):
    html = web(firm_a.manager).get(url("detail", client)).text
    contacts = section(html, "contacts")
    assert 'data-contact="sofie@alfa.example"' in contacts
    assert "Sofie Vermeulen" in contacts
    assert "badge-active" in contacts.split("</tr>")[0]


def test_a_client_manager_sees_the_staff_to_assign_with_the_assigned_ones_ticked(
    firm_a, web, client
):
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    html = web(firm_a.manager).get(url("detail", client)).text
    staff = section(html, "assigned-staff").split("</ul>")[0]
    ticked = re.findall(r'name="staff" value="(\d+)" checked', staff)
    assert ticked == [str(firm_a.accountant.pk)]
    assert staff.count('name="staff"') == 3


def test_the_staff_form_sets_exactly_the_ticked_staff(firm_a, web, client):
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    response = web(firm_a.manager).post(
        url("staff", client), {"staff": [firm_a.manager.pk, firm_a.admin.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#staff")
    assert set(client.assigned.all()) == {firm_a.manager, firm_a.admin}


def test_the_staff_form_refuses_staff_of_another_firm(firm_a, firm_b, web, client):
    web(firm_a.manager).post(url("staff", client), {"staff": [firm_b.accountant.pk]})
    assert not client.assigned.exists()


def test_an_assigned_accountant_sees_the_assigned_staff_without_a_form(firm_a, web, client):
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    html = web(firm_a.accountant).get(url("detail", client)).text
    assert str(firm_a.accountant.user) in section(html, "assigned-staff")
    assert url("staff", client) not in html


def test_the_client_page_shows_the_mandate(firm_a, web, client):
    firm_a.manager.user.language = "en"
    firm_a.manager.user.save()
    details = section(web(firm_a.manager).get(url("detail", client)).text, "client-details")
    assert "Signed" in details
    Client.objects.filter(pk=client.pk).update(peppol_mandate=False)
    details = section(web(firm_a.manager).get(url("detail", client)).text, "client-details")
    assert "Not signed" in details


def test_archiving_from_the_client_page(firm_a, web, client):
    response = web(firm_a.manager).post(url("archive", client))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.status == ClientStatus.ARCHIVED
    html = web(firm_a.manager).get(url("detail", client)).text
    assert url("archive", client) not in html


# Integrations


def test_linking_an_integration_takes_the_external_reference(firm_a, web, client, exact):
    html = web(firm_a.manager).get(url("detail", client)).text
    assert f'<option value="{exact.pk}">Exact Online</option>' in html
    response = web(firm_a.manager).post(url("integration_link", client), {"integration": exact.pk})
    assert response["Location"].endswith("#integrations")
    link = ClientIntegration.objects.get(client=client)
    assert link.settings == {"division": "123456"}
    html = web(firm_a.manager).get(url("detail", client)).text
    integrations = section(html, "client-integrations")
    assert 'data-integration="exact_online"' in integrations
    assert '<span data-setting="division">123456</span>' in integrations


def test_an_integration_missing_a_setting_asks_for_it_first(firm_a, web, exact):
    client = make_client(firm_a.admin, "Zonder Referentie")
    response = web(firm_a.manager).post(url("integration_link", client), {"integration": exact.pk})
    assert response["Location"] == f"{url('integration_new', client)}?integration={exact.pk}"
    assert not ClientIntegration.objects.exists()
    form = web(firm_a.manager).get(response["Location"])
    assert form.status_code == 200
    refused = web(firm_a.manager).post(
        url("integration_new", client), {"integration": exact.pk, "division": "abc"}
    )
    assert refused.status_code == 200
    assert [row["error"] is not None for row in refused.context["fields"]] == [True]
    assert 'value="abc"' in refused.text
    done = web(firm_a.manager).post(
        url("integration_new", client), {"integration": exact.pk, "division": "777"}
    )
    assert done.status_code == 302
    assert ClientIntegration.objects.get(client=client).settings == {"division": "777"}


def test_changing_and_unlinking_an_integration(firm_a, web, client, exact):
    web(firm_a.manager).post(url("integration_link", client), {"integration": exact.pk})
    link = ClientIntegration.objects.get(client=client)
    response = web(firm_a.manager).post(url("integration_edit", client, link.pk), {"division": "9"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.settings == {"division": "9"}
    web(firm_a.manager).post(url("integration_unlink", client, link.pk))
    assert not ClientIntegration.objects.exists()


def test_a_client_made_from_a_template_shows_where_it_differs(firm_a, web, exact):
    template = template_create(membership=firm_a.admin, name="KMO", user_ids=[firm_a.accountant.pk])
    client = make_client(firm_a.admin, "Alfa", template=template)
    html = web(firm_a.manager).get(url("detail", client)).text
    assert 'data-testid="template-differences"' not in html
    assert "KMO" in section(html, "client-details")
    client_assignments_set(membership=firm_a.admin, client=client, membership_ids=[])
    html = web(firm_a.manager).get(url("detail", client)).text
    assert str(firm_a.accountant.user) in section(html, "template-differences")


# The list page


def test_the_add_button_is_offered_only_to_those_who_may_add(firm_a, web):
    add = reverse("clients:add", args=["alfa"])
    assert add in web(firm_a.manager).get(reverse("clients:list", args=["alfa"])).text
    assert add in web(firm_a.admin).get(reverse("clients:list", args=["alfa"])).text
    assert add not in web(firm_a.accountant).get(reverse("clients:list", args=["alfa"])).text


def test_the_list_rows_link_to_the_client_page(firm_a, web, client):
    html = web(firm_a.manager).get(reverse("clients:list", args=["alfa"]), {"tab": "inactive"}).text
    assert f'href="{url("detail", client)}">Alfa Bouw BV</a>' in html
    assert "sofie@alfa.example" in html
    assert "BE 0403.019.261" in html
