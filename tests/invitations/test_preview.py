"""The person sees the e-mail before sending an invitation: the invite page and the bulk
dialog show the subject and body as the contact will receive them, rendered by the same
function (services.invitation_mail) and in the same language as the mail that is sent."""

import html
import re

import pytest
from django.core import mail
from django.urls import reverse

from partnerspace.clients.models import Client, ClientStatus
from partnerspace.core.errors import NotAllowed
from partnerspace.invitations import services
from partnerspace.invitations.models import Invitation
from tests.factories import make_client
from tests.invitations.helpers import LINK, contact

pytestmark = pytest.mark.django_db

BODY = re.compile(r'<pre class="mail-preview-body"[^>]*>(.*?)</pre>', re.S)
SUBJECT = re.compile(r'data-testid="mail-preview-subject">([^<]*)<')


def pieter(people, name="Bakkerij Peeters BV", locale="nl-BE", **data):
    return make_client(
        people.admin,
        name,
        contact=contact("pieter@peeters.example", locale, first_name="Pieter"),
        **data,
    )


def invite_url(client) -> str:
    return reverse("invitations:invite", args=["alfa", client.pk])


def shown(page: str) -> tuple[str, str]:
    return html.unescape(SUBJECT.search(page).group(1)), html.unescape(BODY.search(page).group(1))


def test_the_invite_page_shows_the_mail_with_its_greeting_and_the_clients_name(firm_a, web):
    client = pieter(firm_a)
    page = web(firm_a.manager).get(invite_url(client)).content.decode()

    subject, body = shown(page)
    assert body.startswith("Dag Pieter,")
    assert "Bakkerij Peeters BV" in body
    assert "Boekhoudkantoor Alfa" in subject
    assert "pieter@peeters.example" in page


def test_the_mail_speaks_the_contacts_language_not_the_users(firm_a, web):
    client = pieter(firm_a, locale="fr-BE")
    page = web(firm_a.manager).get(invite_url(client)).content.decode()  # a Dutch user

    _, body = shown(page)
    assert body.startswith("Bonjour Pieter,")
    assert 'lang="fr"' in page


def test_previewing_writes_nothing_and_sends_nothing(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = pieter(firm_a)
    browser = web(firm_a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            invite_url(client),
            {"preview": "1", "message": "Tot binnenkort, Pieter!"},
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 200
    assert "Tot binnenkort, Pieter!" in html.unescape(BODY.search(response.text).group(1))
    assert "<html" not in response.text  # the fragment alone, for the page to swap in
    assert not Invitation.objects.exists()
    assert Client.objects.get(pk=client.pk).status == ClientStatus.DRAFT
    assert mail.outbox == []


def test_the_preview_is_the_mail_that_is_sent(firm_a, web, django_capture_on_commit_callbacks):
    """Word for word, but for the link, which exists only once the mail is sent."""
    client = pieter(firm_a)
    browser = web(firm_a.manager)
    message = "Beste Pieter,\nwelkom bij ons platform."
    preview = browser.post(invite_url(client), {"preview": "1", "message": message}).text
    subject, body = shown(preview)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(invite_url(client), {"message": message})

    [sent] = mail.outbox
    assert sent.subject == subject
    assert LINK.sub("<link>", sent.body) == body.replace(
        "[de persoonlijke link, gemaakt bij het versturen]", "<link>"
    )


def test_the_preview_follows_the_chosen_recipients(firm_a, web):
    client = pieter(firm_a)
    other = client.contacts.create(
        first_name="Marie", last_name="Dubois", email="marie@peeters.example", locale="fr-BE"
    )
    response = web(firm_a.manager).post(
        invite_url(client), {"preview": "1", "contacts": [other.pk]}
    )
    _, body = shown(response.text)
    assert body.startswith("Bonjour Marie,")


def test_an_accountant_may_not_preview_an_invitation(firm_a, web):
    client = pieter(firm_a)
    browser = web(firm_a.accountant)
    assert browser.post(invite_url(client), {"preview": "1"}).status_code == 403
    bulk = reverse("invitations:bulk_preview", args=["alfa"])
    assert browser.get(bulk).status_code == 403
    with pytest.raises(NotAllowed):
        services.invitation_preview(membership=firm_a.accountant, client=client)


def test_the_bulk_dialog_shows_the_first_clients_mail_and_how_many_go_out(firm_a, web):
    first = pieter(firm_a, "Aannemer Aerts BV")
    second = make_client(firm_a.admin, "Brouwerij Bosmans BV")
    active = make_client(firm_a.admin, "Cafe Claes BV")
    Client.objects.filter(pk=active.pk).update(status=ClientStatus.ACTIVE)
    firm_a.manager.user.language = "nl"
    firm_a.manager.user.save(update_fields=["language"])
    browser = web(firm_a.manager)
    browser.post(
        reverse("clients:selection", args=["alfa"]),
        {"visible": [first.pk, second.pk, active.pk], "selected": [first.pk, second.pk, active.pk]},
    )

    response = browser.get(reverse("invitations:bulk_preview", args=["alfa"]))

    page = response.content.decode()
    assert "2 uitnodigingen worden verstuurd." in page
    assert "1 actieve klant wordt overgeslagen." in page
    _, body = shown(page)
    assert body.startswith("Dag Pieter,")
    assert "Aannemer Aerts BV" in body
    assert not Invitation.objects.exists()


def test_the_bulk_bar_loads_the_preview_into_its_dialog(firm_a, web):
    client = pieter(firm_a)
    browser = web(firm_a.manager)
    response = browser.post(
        reverse("clients:selection", args=["alfa"]),
        {"visible": [client.pk], "selected": [client.pk]},
    )
    assert f'hx-get="{reverse("invitations:bulk_preview", args=["alfa"])}"' in response.text
    assert 'id="bulk-invite-mail"' in response.text
