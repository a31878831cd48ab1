import re

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db


def test_reset_mail_links_to_the_public_address_and_sets_a_new_password(firm_a):
    client = Client()
    response = client.post("/account/password-reset/", {"email": "Admin@Alfa.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["admin@alfa.example"]
    assert "wachtwoord" in message.subject.lower()
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    firm_a.admin.user.refresh_from_db()
    assert firm_a.admin.user.check_password("a-new-long-passphrase")


def test_unknown_address_gets_the_same_answer_and_no_mail(db):
    response = Client().post("/account/password-reset/", {"email": "nobody@example.example"})
    assert response.status_code == 302
    assert mail.outbox == []
