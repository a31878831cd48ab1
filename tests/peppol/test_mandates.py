"""Mandates: confirming one or many, the signed PDF kept with the client, and who may fetch it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerspace.clients.models import Client, ClientHistory
from partnerspace.clients.services import client_assignments_set
from partnerspace.core.errors import Conflict, ValidationFailed
from partnerspace.peppol import services
from partnerspace.peppol.models import ClientPeppol, MandateDocument, RegistrationStatus
from tests.factories import make_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="mandaat.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def client(firm_a):
    return make_client(firm_a.admin, "Bakkerij Peeters BV", company_number="0123456749")


def detail(client) -> str:
    return reverse("clients:detail", args=[client.firm.slug, client.pk])


def test_confirming_a_mandate_records_when_and_who_in_the_history(firm_a, client, web, english):
    response = web(firm_a.manager).post(reverse("peppol:mandate", args=["alfa", client.pk]))

    assert response.status_code == 302
    client.refresh_from_db()
    assert client.peppol_mandate is True
    assert client.mandate_confirmed_at is not None
    assert client.mandate_confirmed_by == firm_a.manager.user
    entry = ClientHistory.objects.get(client=client, action="mandate_confirmed")
    assert entry.actor == firm_a.manager.user
    assert entry.changes == [{"field": "peppol_mandate", "old": False, "new": True}]
    page = web(firm_a.manager).get(detail(client))
    assert "Peppol mandate confirmed" in page.text
    assert f"by {firm_a.manager.user}" in page.text


def test_confirming_with_the_signed_pdf_keeps_it_with_the_client(
    firm_a, client, web, media, english
):
    web(firm_a.manager).post(
        reverse("peppol:mandate", args=["alfa", client.pk]),
        {"document": pdf("Mandaat Peeters.pdf")},
    )

    document = MandateDocument.objects.get(client=client)
    assert document.original_name == "Mandaat_Peeters.pdf"
    assert document.file.name.startswith(f"mandates/{firm_a.firm.pk}/{client.pk}/")
    assert (media / document.file.name).read_bytes() == PDF
    assert ClientHistory.objects.filter(client=client, action="mandate_document_added").exists()
    client.refresh_from_db()
    assert client.peppol_mandate


def test_a_file_that_is_not_a_pdf_is_refused(firm_a, client, web, media, english):
    fake = pdf("mandaat.pdf", b"MZ\x90\x00 an executable")
    response = web(firm_a.manager).post(
        reverse("peppol:upload", args=["alfa", client.pk]), {"document": fake}, follow=True
    )
    assert "Upload the signed mandate as a PDF file." in response.text
    assert not MandateDocument.objects.exists()
    assert not media.exists() or not any(media.rglob("*.pdf"))


def test_a_file_over_10_mb_is_refused(firm_a, client, media):
    big = pdf(content=PDF + b"0" * (services.MANDATE_MAX_BYTES + 1 - len(PDF)))
    with pytest.raises(ValidationFailed) as refused:
        services.mandate_document_upload(membership=firm_a.manager, client=client, upload=big)
    assert refused.value.errors[0].code == "too_large"
    assert not MandateDocument.objects.exists()


def test_a_file_of_exactly_10_mb_is_kept(firm_a, client, media):
    exact = pdf(content=PDF + b"0" * (services.MANDATE_MAX_BYTES - len(PDF)))
    document = services.mandate_document_upload(
        membership=firm_a.manager, client=client, upload=exact
    )
    assert document.size == services.MANDATE_MAX_BYTES


@pytest.fixture
def document(firm_a, client, media):
    return services.mandate_document_upload(membership=firm_a.admin, client=client, upload=pdf())


def download(document) -> str:
    return reverse("peppol:document", args=["alfa", document.client_id, document.pk])


def test_staff_who_see_the_client_download_the_pdf_as_an_attachment(firm_a, document, web):
    response = web(firm_a.manager).get(download(document))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="mandaat.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_an_accountant_downloads_only_for_assigned_clients(firm_a, client, document, web):
    assert web(firm_a.accountant).get(download(document)).status_code == 404
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    assert web(firm_a.accountant).get(download(document)).status_code == 200


def test_another_firm_gets_404_under_either_firms_name(firm_a, firm_b, document, web):
    assert web(firm_b.admin).get(download(document)).status_code == 404
    theirs = reverse("peppol:document", args=["beta", document.client_id, document.pk])
    assert web(firm_b.admin).get(theirs).status_code == 404


def test_a_document_is_only_found_under_its_own_client(firm_a, document, web):
    other = make_client(firm_a.admin)
    url = reverse("peppol:document", args=["alfa", other.pk, document.pk])
    assert web(firm_a.admin).get(url).status_code == 404


def test_deleting_the_client_removes_the_file(firm_a, client, document, media):
    path = media / document.file.name
    assert path.exists()
    Client.objects.filter(pk=client.pk).delete()
    assert not path.exists()


def test_bulk_confirming_skips_and_counts_the_confirmed_ones(firm_a, web, english):
    clients = [make_client(firm_a.admin, f"Klant {n}") for n in range(3)]
    services.mandate_confirm(membership=firm_a.admin, client=clients[0])
    browser = web(firm_a.manager)
    browser.post(
        reverse("clients:selection", args=["alfa"]),
        {"visible": [c.pk for c in clients], "selected": [c.pk for c in clients]},
    )
    response = browser.post(reverse("peppol:bulk_mandates", args=["alfa"]), follow=True)

    assert "Mandates confirmed for 2 clients. 1 skipped: confirmed already." in response.text
    assert Client.objects.filter(pk__in=[c.pk for c in clients], peppol_mandate=True).count() == 3
    assert ClientHistory.objects.filter(action="mandate_confirmed").count() == 3


def test_an_accountant_may_not_confirm_mandates(firm_a, client, web):
    client_assignments_set(
        membership=firm_a.admin, client=client, membership_ids=[firm_a.accountant.pk]
    )
    browser = web(firm_a.accountant)
    assert browser.post(reverse("peppol:mandate", args=["alfa", client.pk])).status_code == 403
    assert browser.post(reverse("peppol:bulk_mandates", args=["alfa"])).status_code == 403
    client.refresh_from_db()
    assert client.peppol_mandate is False


def test_withdrawing_a_mandate_is_refused_while_the_client_is_registered(firm_a, client):
    services.mandate_confirm(membership=firm_a.admin, client=client)
    ClientPeppol.objects.create(client=client, status=RegistrationStatus.REGISTERED)
    with pytest.raises(Conflict):
        services.mandate_withdraw(membership=firm_a.admin, client=client)


def test_withdrawing_a_mandate_is_recorded(firm_a, client):
    services.mandate_confirm(membership=firm_a.admin, client=client)
    services.mandate_withdraw(membership=firm_a.manager, client=client)
    client.refresh_from_db()
    assert (client.peppol_mandate, client.mandate_confirmed_at) == (False, None)
    entry = ClientHistory.objects.get(client=client, action="mandate_withdrawn")
    assert entry.changes == [{"field": "peppol_mandate", "old": True, "new": False}]


def test_confirming_with_a_file_that_is_not_a_pdf_confirms_nothing(
    firm_a, client, web, media, english
):
    response = web(firm_a.manager).post(
        reverse("peppol:mandate", args=["alfa", client.pk]),
        {"document": pdf("mandaat.pdf", b"<html>not a pdf</html>")},
        follow=True,
    )
    assert "Upload the signed mandate as a PDF file." in response.text
    client.refresh_from_db()
    assert client.peppol_mandate is False
    assert not MandateDocument.objects.exists()


def test_an_empty_upload_confirms_nothing(firm_a, client, web, media, english):
    response = web(firm_a.manager).post(
        reverse("peppol:mandate", args=["alfa", client.pk]),
        {"document": pdf("mandaat.pdf", b"")},
        follow=True,
    )
    assert "The submitted file is empty." in response.text
    client.refresh_from_db()
    assert client.peppol_mandate is False
