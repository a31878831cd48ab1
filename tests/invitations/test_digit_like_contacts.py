"""The invite page reads its ticked contacts as numbers: something digit-like that is not
one (a superscript ², which str.isdigit() accepts and int() refuses) is left out of the
preview, and refused by the form as any unknown choice; never a 500."""

import pytest

from partnerspace.invitations.models import Invitation
from tests.invitations.test_preview import invite_url, pieter, shown

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "\u00b2"


def test_the_preview_leaves_a_superscript_contact_id_out(firm_a, web):
    client = pieter(firm_a)
    browser = web(firm_a.manager)
    plain = browser.post(invite_url(client), {"preview": "1"})
    odd = browser.post(invite_url(client), {"preview": "1", "contacts": [SUPERSCRIPT_TWO]})
    assert odd.status_code == 200
    assert shown(odd.text) == shown(plain.text)
    assert shown(odd.text)[1].startswith("Dag Pieter,")


def test_the_form_refuses_a_superscript_contact_id_and_shows_the_mail_again(firm_a, web):
    client = pieter(firm_a)
    response = web(firm_a.manager).post(
        invite_url(client), {"message": "Beste klant", "contacts": [SUPERSCRIPT_TWO]}
    )
    assert response.status_code == 200
    assert "contacts" in response.context["form"].errors
    assert shown(response.text)[1].startswith("Dag Pieter,")
    assert not Invitation.objects.filter(client=client).exists()
