"""A client published at the firm's SMP is published under identifiers built from its
enterprise number, VAT number and country: those stay until it is deregistered, whatever the
door (the page, the API, an import), as its mandate does. Otherwise the SMP would keep the old
participant while the client page shows identifiers of the new number as registered."""

import pytest

from partnerspace.clients.models import Client
from partnerspace.clients.services import client_archive, client_update
from partnerspace.core.errors import Conflict
from partnerspace.peppol.models import ClientPeppol, Operation, RegistrationStatus
from tests.companies.test_company_numbers import NUMBER, UNUSED, accepted
from tests.factories import make_client
from tests.invitations.helpers import draft_client, last_link, send_invitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(firm_a):
    return make_client(
        firm_a.admin, "Bakkerij Peeters BV", company_number="0123456749", vat_number="BE0123456749"
    )


@pytest.mark.parametrize(
    "data",
    [
        {"company_number": "0403.019.261", "vat_number": "BE0403019261"},
        {"vat_number": None},
        {"country": "NL", "company_number": None, "vat_number": None},
    ],
    ids=["new numbers", "no VAT number", "abroad"],
)
@pytest.mark.parametrize("status", [RegistrationStatus.REGISTERED, RegistrationStatus.PENDING])
def test_a_published_client_keeps_its_numbers_and_country(firm_a, client, data, status):
    ClientPeppol.objects.create(client=client, status=status)
    with pytest.raises(Conflict) as refused:
        client_update(membership=firm_a.manager, client=client, data=data)
    assert refused.value.code == "registered"
    assert Client.objects.get(pk=client.pk).company_number == "0123456749"


def test_a_published_client_may_change_what_peppol_does_not_read(firm_a, client):
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.REGISTERED)
    client_update(membership=firm_a.manager, client=client, data={"legal_name": "Peeters BV"})
    assert Client.objects.get(pk=client.pk).legal_name == "Peeters BV"


def test_a_client_no_longer_published_may_change_its_numbers(firm_a, client):
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.NOT_REGISTERED)
    client_update(
        membership=firm_a.manager,
        client=client,
        data={"company_number": "0403.019.261", "vat_number": "BE0403019261"},
    )
    assert Client.objects.get(pk=client.pk).company_number == "0403019261"


def test_a_number_change_another_firms_published_record_would_follow_is_refused(
    firm_a, firm_b, django_capture_on_commit_callbacks
):
    """The firms linked to one company follow each other's change of its numbers
    (companies.services.company_numbers_change): not while one of them is published."""
    capture = django_capture_on_commit_callbacks
    client_a, _company, browser = accepted(capture, firm_a, company_number=NUMBER)
    client_b = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(capture, firm_b.admin, client_b)
    assert browser.post(last_link()).status_code == 302
    ClientPeppol.objects.create(client=client_b, status=RegistrationStatus.REGISTERED)

    with pytest.raises(Conflict) as refused:
        client_update(membership=firm_a.admin, client=client_a, data={"company_number": UNUSED})
    assert refused.value.code == "registered_by_a_linked_firm"
    assert firm_b.firm.name not in refused.value.message
    for client in (client_a, client_b):
        assert Client.objects.get(pk=client.pk).company_number == NUMBER


def test_an_archived_record_which_follows_no_one_may_change_its_number(
    firm_a, firm_b, django_capture_on_commit_callbacks
):
    # Firm A's link ended: its record no longer follows the company, nor the company it; the
    # refusal would only tell firm A of another firm's Peppol registration.
    capture = django_capture_on_commit_callbacks
    client_a, _company, browser = accepted(capture, firm_a, company_number=NUMBER)
    client_b = draft_client(firm_b.admin, company_number=NUMBER)
    send_invitation(capture, firm_b.admin, client_b)
    assert browser.post(last_link()).status_code == 302
    client_archive(membership=firm_a.admin, client=client_a)
    ClientPeppol.objects.create(client=client_b, status=RegistrationStatus.REGISTERED)

    client_update(membership=firm_a.admin, client=client_a, data={"company_number": UNUSED})

    assert Client.objects.get(pk=client_a.pk).company_number == UNUSED
    assert Client.objects.get(pk=client_b.pk).company_number == NUMBER


def test_a_deregistration_that_failed_before_removing_anything_keeps_the_numbers(firm_a, client):
    ClientPeppol.objects.create(
        client=client,
        status=RegistrationStatus.FAILED,
        operation=Operation.DEREGISTER,
        completed_steps=[],  # its first DELETE refused: all is still at the SMP
    )
    with pytest.raises(Conflict):
        client_update(membership=firm_a.manager, client=client, data={"vat_number": None})


def test_the_import_preview_refuses_the_row_the_import_would_refuse(firm_a, settings, tmp_path):
    from partnerspace.imports import services as imports
    from partnerspace.imports.models import ImportJob, ImportMode
    from tests.imports.rows import client_row, enterprise_number, xlsx_of
    from tests.imports.test_undo import imported

    settings.MEDIA_ROOT = tmp_path / "media"
    imported(firm_a.manager, [client_row(1)])
    published = Client.objects.get(legal_name="Bakkerij 1 BV")
    ClientPeppol.objects.create(client=published, status=RegistrationStatus.REGISTERED)
    new = enterprise_number(7001)
    job = imports.import_job_create(
        membership=firm_a.manager,
        file_name="k.xlsx",
        content=xlsx_of([client_row(1, company_number=new, vat_number="BE" + new)]),
        mode=ImportMode.UPDATE,
    )
    imports.import_preview(job=job)
    previewed = ImportJob.objects.get(pk=job.pk)
    assert (previewed.updated, previewed.refused) == (0, 1)
    done = imports.import_start(membership=firm_a.manager, job=previewed)
    assert (done.updated, done.refused) == (0, 1)
    assert Client.objects.get(pk=published.pk).company_number != new
