"""A client's user sees its own company only: every firm page, another company, another firm's
record answer 404; and no firm can hand itself (or anyone) a company that has its own people."""

import re

import pytest

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.services import contact_add
from partnerspace.companies.models import Company, CompanyUser
from partnerspace.invitations.models import Invitation
from tests.core.test_tenant_isolation import OBJECTS_OF_FIRM_A, fill, firm_routes
from tests.invitations.helpers import (
    accept_as_new_user,
    contact,
    draft_client,
    last_link,
    send_invitation,
)

pytestmark = pytest.mark.django_db

NUMBER = "0403170701"
IBAN = "BE71096123456769"


def accepted(capture, people, name, email, number):
    client = draft_client(people.admin, name, email, company_number=number)
    send_invitation(capture, people.admin, client)
    browser, response = accept_as_new_user(last_link())
    assert response.status_code == 302
    client.refresh_from_db()
    return client, client.company, browser


@pytest.fixture
def jan(firm_a, django_capture_on_commit_callbacks):
    """Jan speaks for Bakkerij Peeters, a client of firm A."""
    return accepted(
        django_capture_on_commit_callbacks,
        firm_a,
        "Bakkerij Peeters BV",
        "jan@peeters.example",
        NUMBER,
    )


@pytest.fixture
def piet(firm_b, django_capture_on_commit_callbacks):
    """Piet speaks for Slagerij Janssens, a client of firm B."""
    return accepted(
        django_capture_on_commit_callbacks,
        firm_b,
        "Slagerij Janssens",
        "piet@janssens.example",
        "0123456749",
    )


def objects_of(people, routes) -> dict:
    """Real objects of the firm for every route parameter (any id for one not listed yet: the
    check that each parameter is listed belongs to tests/core/test_tenant_isolation.py)."""
    names = {name for route in routes for name in re.findall(r"<(?:\w+:)?(\w+)>", route)}
    return {
        name: OBJECTS_OF_FIRM_A[name](people).pk if name in OBJECTS_OF_FIRM_A else 1
        for name in names - {"firm_slug"}
    }


def test_a_clients_user_gets_404_on_every_page_of_every_firm(firm_a, firm_b, jan):
    _client, _company, browser = jan
    routes = list(firm_routes())
    for people in (firm_a, firm_b):
        objects = objects_of(people, routes)
        for route in routes:
            url = fill(route, {**objects, "firm_slug": people.firm.slug})
            for method in ("get", "post"):
                status = getattr(browser, method)(url).status_code
                assert status == 404, f"{method.upper()} {url} -> {status}"


def test_a_clients_user_gets_404_for_its_own_client_record_in_the_firm(jan):
    client, _company, browser = jan
    assert browser.get(f"/f/alfa/clients/{client.pk}/").status_code == 404
    assert browser.get(f"/f/alfa/clients/{client.pk}/edit/").status_code == 404
    assert browser.get("/f/alfa/clients/").status_code == 404


def test_another_company_answers_404_and_stays_as_it_is(jan, piet):
    _client, _own, browser = jan
    theirs, company, _ = piet
    for path in ("", "edit/"):
        assert browser.get(f"/company/{company.pk}/{path}").status_code == 404
    posts = {
        "edit/": {"legal_name": "Overgenomen", "iban": IBAN},
        "contacts/add/": {"first_name": "X", "last_name": "Y", "email": "x@evil.example"},
        f"links/{theirs.pk}/end/": {},
    }
    for path, data in posts.items():
        assert browser.post(f"/company/{company.pk}/{path}", data).status_code == 404
    company.refresh_from_db()
    theirs.refresh_from_db()
    assert company.legal_name == theirs.legal_name == "Slagerij Janssens"
    assert theirs.iban == ""
    assert theirs.status == ClientStatus.ACTIVE
    assert not theirs.contacts.filter(email="x@evil.example").exists()


def test_ending_another_firms_record_through_ones_own_company_is_404(jan, piet):
    _client, company, browser = jan
    theirs, _their_company, _ = piet
    response = browser.post(f"/company/{company.pk}/links/{theirs.pk}/end/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ClientStatus.ACTIVE


def test_firm_staff_without_a_company_get_404_in_the_client_space(firm_a, web, jan):
    _client, company, _browser = jan
    assert web(firm_a.admin).get(f"/company/{company.pk}/").status_code == 404


def test_a_clients_user_has_no_way_into_the_api(jan, firm_a):
    client, _company, browser = jan
    for path in (f"/api/v1/clients/{client.pk}/invitations", "/api/v1/clients"):
        assert browser.get(path).status_code == 401


def test_firm_b_cannot_touch_firm_as_invitations(
    firm_a, firm_b, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    browser = web(firm_b.admin)
    for action in ("revoke", "resend", "retry"):
        for slug in ("alfa", "beta"):
            url = f"/f/{slug}/invitations/{invitation.pk}/{action}/"
            assert browser.post(url).status_code == 404, url
    assert browser.post(f"/f/beta/invitations/clients/{client.pk}/invite/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and invitation.replaced_at is None
    assert Invitation.objects.count() == 1


# A company with its own people cannot be taken over by inviting someone else to it


def test_another_firm_cannot_hand_an_existing_company_to_an_address_of_its_choice(
    firm_a, firm_b, jan, django_capture_on_commit_callbacks
):
    ours, company, jan_browser = jan
    jan_browser.post(
        f"/company/{company.pk}/edit/",
        {"legal_name": "Bakkerij Peeters BV", "company_number": NUMBER, "iban": IBAN},
    )
    # Firm B types Bakkerij Peeters' enterprise number and an address it controls.
    bait = draft_client(
        firm_b.admin, "Bakkerij Peeters", "mallory@evil.example", company_number=NUMBER
    )
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, bait)
    mallory, response = accept_as_new_user(last_link())

    assert response.status_code == 200
    assert IBAN not in response.text and "BE71 0961" not in response.text
    assert CompanyUser.objects.filter(company=company).count() == 1
    assert not CompanyUser.objects.filter(user__email="mallory@evil.example").exists()
    bait.refresh_from_db()
    assert bait.company is None
    assert bait.status == ClientStatus.INVITED
    assert bait.iban == ""
    assert mallory.get(f"/company/{company.pk}/").status_code in {302, 404}
    company.refresh_from_db()
    assert company.iban == IBAN
    assert set(Client.objects.filter(company=company)) == {ours}


def test_a_firm_cannot_hand_a_company_that_ended_the_link_to_a_new_contact(
    firm_a, jan, django_capture_on_commit_callbacks
):
    client, company, jan_browser = jan
    jan_browser.post(f"/company/{company.pk}/links/{client.pk}/end/")
    contact_add(
        membership=firm_a.admin,
        client=client,
        data={**contact("mallory@evil.example", first_name="Mallory"), "is_primary": True},
    )
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    assert Invitation.objects.latest("created_at").email == "mallory@evil.example"
    _mallory, response = accept_as_new_user(last_link())
    assert response.status_code == 200
    assert not CompanyUser.objects.filter(user__email="mallory@evil.example").exists()
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    assert Company.objects.count() == 1


def test_the_companys_own_user_may_still_accept_the_other_firms_invitation(
    firm_b, jan, django_capture_on_commit_callbacks
):
    _ours, company, jan_browser = jan
    theirs = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(django_capture_on_commit_callbacks, firm_b.admin, theirs)
    assert jan_browser.post(last_link()).status_code == 302
    theirs.refresh_from_db()
    assert theirs.company == company
    assert theirs.status == ClientStatus.ACTIVE
