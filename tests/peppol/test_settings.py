"""Settings → Peppol: the SMP's credentials are kept encrypted and never shown back."""

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from partnerspace.firms.models import AuditEvent
from partnerspace.peppol.models import BIS_BILLING_CREDIT_NOTE, BIS_BILLING_INVOICE, PeppolSettings
from partnerspace.peppol.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from tests.peppol.builders import certificate_pem, settings_data

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-SMP-p@ssword"
URL = reverse("peppol:settings", args=["alfa"])


def save(browser, smp, **overrides):
    data = settings_data(smp, **overrides)
    data["auto_register"] = "on" if data["auto_register"] else ""
    return browser.post(URL, data)


def test_the_secret_is_stored_encrypted_and_never_rendered_back(firm_a, smp, web, english):
    browser = web(firm_a.admin)
    response = save(browser, smp, secret=SECRET)
    assert response.status_code == 302

    stored = PeppolSettings.objects.get(firm=firm_a.firm)
    assert SECRET not in stored.secret_encrypted
    assert secret_decrypt(stored.secret_encrypted) == SECRET
    page = browser.get(URL)
    assert SECRET not in page.text
    assert stored.secret_encrypted not in page.text
    assert "A secret is stored; it is never shown." in page.text
    assert 'name="secret"' in page.text
    secret_input = page.text.split('name="secret"')[1].split(">")[0]
    assert "value=" not in secret_input
    event = AuditEvent.objects.get(action="peppol.settings_changed")
    assert "secret" in event.data["changed"]
    assert SECRET not in str(event.data)


def test_an_empty_secret_keeps_the_stored_one(firm_a, smp, web):
    browser = web(firm_a.admin)
    save(browser, smp, secret=SECRET)
    before = PeppolSettings.objects.get(firm=firm_a.firm).secret_encrypted
    assert save(browser, smp, secret="", username="other-user").status_code == 302

    stored = PeppolSettings.objects.get(firm=firm_a.firm)
    assert stored.secret_encrypted == before
    assert stored.username == "other-user"


def test_the_first_save_needs_a_secret(firm_a, smp, web, english):
    response = save(web(firm_a.admin), smp, secret="")
    assert response.status_code == 200
    assert not PeppolSettings.objects.filter(firm=firm_a.firm, secret_encrypted__gt="").exists()


def test_the_defaults_are_bis_billing_invoice_and_credit_note(firm_a):
    settings = PeppolSettings.objects.create(firm=firm_a.firm)
    assert settings.document_types == [BIS_BILLING_INVOICE, BIS_BILLING_CREDIT_NOTE]
    assert settings.transport_profile == "peppol-transport-as4-v2_0"
    assert settings.process_id == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def test_the_certificate_is_kept_as_base64_der(firm_a, smp, web):
    save(web(firm_a.admin), smp)
    stored = PeppolSettings.objects.get(firm=firm_a.firm)
    assert "BEGIN CERTIFICATE" in certificate_pem()
    assert "BEGIN" not in stored.access_point_certificate
    assert stored.is_configured


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("smp_base_url", "http://smp.alfa.example", "Use an https:// address."),
        ("access_point_url", "ftp://ap.alfa.example", "Enter an address starting with https://."),
        ("access_point_certificate", "hello", "Paste the access point"),
        ("document_types", "an invoice", "is not a document type identifier"),
        ("technical_contact", "", "This field is required."),
    ],
)
def test_wrong_settings_are_refused_beside_the_field(
    firm_a, smp, web, english, field, value, message
):
    response = save(web(firm_a.admin), smp, **{field: value})
    assert response.status_code == 200
    assert message in response.text
    assert not PeppolSettings.objects.filter(firm=firm_a.firm).exclude(smp_base_url="").exists()


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_only_administrators_configure_the_smp(firm_a, smp, web, role):
    browser = web(getattr(firm_a, role))
    assert browser.get(URL).status_code == 403
    assert save(browser, smp).status_code == 403


def test_a_dedicated_encryption_key_is_used_when_set(settings):
    settings.PARTNERSPACE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    token = secret_encrypt(SECRET)
    assert secret_decrypt(token) == SECRET
    settings.PARTNERSPACE_ENCRYPTION_KEY = Fernet.generate_key().decode()
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    with pytest.raises(SecretUnreadable):
        secret_decrypt(token)


def test_a_passphrase_works_as_encryption_key_too(settings):
    settings.PARTNERSPACE_ENCRYPTION_KEY = "correct horse battery staple"
    assert secret_decrypt(secret_encrypt(SECRET)) == SECRET


def test_secrets_survive_a_secret_key_rotation(settings):
    settings.PARTNERSPACE_ENCRYPTION_KEY = ""
    old_key = settings.SECRET_KEY
    token = secret_encrypt(SECRET)
    settings.SECRET_KEY = "the-new-secret-key-after-rotation-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert secret_decrypt(token) == SECRET


def test_the_settings_page_is_linked_from_the_firm_settings(firm_a, web):
    page = web(firm_a.admin).get(reverse("firms:settings", args=["alfa"]))
    assert URL in page.text
