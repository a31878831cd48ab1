"""Inviting clients: from the client page, in bulk from the list, resending, withdrawing, expiry."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from partnerspace.clients.models import Client, ClientHistory, ClientStatus, HistorySource
from partnerspace.clients.services import contact_add
from partnerspace.core.errors import Conflict, NotAllowed, ValidationFailed
from partnerspace.invitations import services
from partnerspace.invitations.models import Invitation, InvitationState
from tests.factories import make_client
from tests.invitations.helpers import (
    accept_as_new_user,
    contact,
    draft_client,
    link_in,
    send_invitation,
)

pytestmark = pytest.mark.django_db


def invite_url(client) -> str:
    return f"/f/{client.firm.slug}/invitations/clients/{client.pk}/invite/"


def detail_url(client) -> str:
    return f"/f/{client.firm.slug}/clients/{client.pk}/"


def test_administrator_invites_from_the_client_page_with_an_edited_message(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    browser = web(firm_a.admin)
    form = browser.get(invite_url(client))
    assert form.status_code == 200
    assert "jan@peeters.example" in form.text
    assert 'name="message"' in form.text

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            invite_url(client), {"message": "Beste Jan,\nwelkom bij ons nieuwe platform."}
        )

    assert response.status_code == 302
    assert response.url == detail_url(client) + "#invitations"
    invitation = Invitation.objects.get()
    assert (invitation.client, invitation.firm) == (client, firm_a.firm)
    assert invitation.email == "jan@peeters.example"
    assert invitation.language == "en"
    assert invitation.invited_by == firm_a.admin.user
    assert invitation.state == InvitationState.SENT
    assert abs(invitation.expires_at - invitation.created_at - timedelta(days=30)) < timedelta(
        seconds=5
    )
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED
    actions = set(ClientHistory.objects.filter(client=client).values_list("action", flat=True))
    assert {"invited", "status_changed"} <= actions

    [message] = mail.outbox
    assert message.to == ["jan@peeters.example"]
    assert "Boekhoudkantoor Alfa" in message.subject
    assert "welkom bij ons nieuwe platform" in message.body
    assert link_in(message).startswith("/invite/")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Boekhoudkantoor Alfa" in html
    assert "welkom bij ons nieuwe platform" in html
    assert "http://testserver/invite/" in html


def test_the_client_page_shows_the_invitation_and_its_state(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    page = web(firm_a.admin).get(detail_url(client))
    assert page.status_code == 200
    assert 'data-testid="invitations"' in page.text
    assert "jan@peeters.example" in page.text
    assert "Sent" in page.text
    assert f"/f/alfa/invitations/{Invitation.objects.get().pk}/revoke/" in page.text


def test_client_manager_invites_too(firm_a, web, django_capture_on_commit_callbacks):
    client = draft_client(firm_a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = web(firm_a.manager).post(invite_url(client), {"message": ""})
    assert response.status_code == 302
    assert Invitation.objects.get().invited_by == firm_a.manager.user
    assert len(mail.outbox) == 1


def test_an_accountant_may_not_invite_even_an_assigned_client(firm_a, web):
    client = draft_client(firm_a.admin)
    client.assigned.add(firm_a.accountant)
    browser = web(firm_a.accountant)
    assert browser.get(detail_url(client)).status_code == 200
    assert browser.get(invite_url(client)).status_code == 403
    assert browser.post(invite_url(client), {"message": "x"}).status_code == 403
    assert not Invitation.objects.exists()
    with pytest.raises(NotAllowed):
        services.client_invite(membership=firm_a.accountant, client=client)
    page = browser.get(detail_url(client)).text
    assert invite_url(client) not in page


def test_only_the_primary_contact_is_invited_unless_others_are_chosen(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    contact_add(
        membership=firm_a.admin,
        client=client,
        data=contact("marie@peeters.example", "fr-BE", "Marie", "Dubois"),
    )
    marie = client.contacts.get(email="marie@peeters.example")
    assert not marie.is_primary

    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    assert [m.to for m in mail.outbox] == [["jan@peeters.example"]]

    with django_capture_on_commit_callbacks(execute=True):
        response = web(firm_a.admin).post(
            invite_url(client),
            {"message": "", "contacts": [str(c.pk) for c in client.contacts.all()]},
        )
    assert response.status_code == 302
    recipients = sorted(m.to[0] for m in mail.outbox[1:])
    assert recipients == ["jan@peeters.example", "marie@peeters.example"]
    latest = {i.email: i.language for i in Invitation.objects.filter(replaced_at__isnull=True)}
    # Each contact in their own language.
    assert latest == {"jan@peeters.example": "en", "marie@peeters.example": "fr"}


def test_a_contact_of_another_client_cannot_be_chosen(firm_a):
    client = draft_client(firm_a.admin)
    other = make_client(firm_a.admin, "Andere BV")
    with pytest.raises(ValidationFailed) as refused:
        services.client_invite(
            membership=firm_a.admin, client=client, contact_ids=[other.contacts.get().pk]
        )
    assert refused.value.errors[0].field == "contacts"
    assert not Invitation.objects.exists()


def test_an_active_client_is_not_invited_again(firm_a, web):
    client = draft_client(firm_a.admin)
    Client.objects.filter(pk=client.pk).update(status=ClientStatus.ACTIVE)
    response = web(firm_a.admin).post(invite_url(client), {"message": ""})
    assert response.status_code == 200
    assert "active already" in response.text
    assert not Invitation.objects.exists()
    with pytest.raises(Conflict):
        services.client_invite(membership=firm_a.admin, client=client)
    assert invite_url(client) not in web(firm_a.admin).get(detail_url(client)).text


def test_nothing_is_sent_before_the_transaction_commits_nor_when_it_rolls_back(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.client_invite(membership=firm_a.admin, client=client)
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert mail.outbox == []

    other = draft_client(firm_a.admin, "Slagerij Janssens", "piet@janssens.example")

    def invite_then_fail():
        with transaction.atomic():
            services.client_invite(membership=firm_a.admin, client=other)
            raise RuntimeError("the request failed after inviting")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        invite_then_fail()
    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.filter(client=other).exists()


# Bulk: the Niet actief tab's selection


def select(browser, *clients):
    ids = [str(c.pk) for c in clients]
    response = browser.post("/f/alfa/clients/selection/", {"visible": ids, "selected": ids})
    assert response.status_code == 200
    return response


def test_bulk_invite_invites_the_selection_and_skips_active_clients(
    firm_a, web, django_capture_on_commit_callbacks
):
    draft = draft_client(firm_a.admin, "Bakkerij Peeters", "jan@peeters.example")
    archived = draft_client(firm_a.admin, "Slagerij Janssens", "piet@janssens.example")
    Client.objects.filter(pk=archived.pk).update(status=ClientStatus.ARCHIVED)
    active = draft_client(firm_a.admin, "Brouwerij Maes", "an@maes.example")
    Client.objects.filter(pk=active.pk).update(status=ClientStatus.ACTIVE)
    not_selected = draft_client(firm_a.admin, "Garage Claes", "tom@claes.example")

    browser = web(firm_a.admin)
    bar = select(browser, draft, archived, active)
    # The bulk bar posts the selection to invitations:bulk.
    assert 'formaction="/f/alfa/invitations/bulk/"' in bar.text

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/f/alfa/invitations/bulk/",
            {"message": "", "back": "/f/alfa/clients/?tab=inactive"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == "/f/alfa/clients/?tab=inactive"
    assert "2 clients invited." in response.text
    assert "1 skipped: it is active already." in response.text

    statuses = dict(Client.objects.values_list("legal_name", "status"))
    assert statuses == {
        "Bakkerij Peeters": ClientStatus.INVITED,
        "Slagerij Janssens": ClientStatus.INVITED,
        "Brouwerij Maes": ClientStatus.ACTIVE,
        "Garage Claes": ClientStatus.DRAFT,
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["jan@peeters.example", "piet@janssens.example"]
    assert not Invitation.objects.filter(client__in=[active, not_selected]).exists()
    # The selection is spent.
    assert browser.session.get(f"client_selection:{firm_a.firm.pk}") is None


def test_bulk_invite_is_for_inviters_only(firm_a, web):
    client = draft_client(firm_a.admin)
    client.assigned.add(firm_a.accountant)
    browser = web(firm_a.accountant)
    bar = select(browser, client)
    assert 'data-open-dialog="bulk-invite"' not in bar.text
    assert browser.post("/f/alfa/invitations/bulk/", {}).status_code == 403
    assert not Invitation.objects.exists()


def test_bulk_invite_never_reaches_another_firms_clients(
    firm_a, firm_b, web, django_capture_on_commit_callbacks
):
    theirs = draft_client(firm_b.admin, "Cliënt van Bêta", "x@beta-client.example")
    browser = web(firm_a.admin)
    select(browser, theirs)
    session = browser.session
    # Even a forged selection holding firm B's id invites nothing of theirs.
    session[f"client_selection:{firm_a.firm.pk}"] = [theirs.pk]
    session.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/f/alfa/invitations/bulk/", {}, follow=True)
    assert "0 clients invited." in response.text
    assert not Invitation.objects.exists()
    assert mail.outbox == []


# Resend, withdraw, expiry


def test_resend_makes_a_new_invitation_and_replaces_the_old_one(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [first] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    with django_capture_on_commit_callbacks(execute=True):
        response = web(firm_a.admin).post(f"/f/alfa/invitations/{first.pk}/resend/")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == InvitationState.REPLACED
    second = Invitation.objects.exclude(pk=first.pk).get()
    assert second.state == InvitationState.SENT
    assert second.email == first.email
    assert second.token_selector != first.token_selector
    assert link_in(mail.outbox[0]) != link_in(mail.outbox[1])
    client.refresh_from_db()
    assert client.status == ClientStatus.INVITED


def test_withdrawing_takes_the_client_back_to_draft(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    response = web(firm_a.admin).post(f"/f/alfa/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.REVOKED
    client.refresh_from_db()
    assert client.status == ClientStatus.DRAFT
    entry = ClientHistory.objects.filter(client=client, action="invitation_revoked").get()
    assert entry.source == HistorySource.STAFF
    assert entry.changes == [{"field": "status", "old": "invited", "new": "draft"}]


def test_withdraw_and_resend_need_an_inviter(firm_a, web, django_capture_on_commit_callbacks):
    client = draft_client(firm_a.admin)
    client.assigned.add(firm_a.accountant)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    browser = web(firm_a.accountant)
    for action in ("revoke", "resend", "retry"):
        assert browser.post(f"/f/alfa/invitations/{invitation.pk}/{action}/").status_code == 403
    assert browser.get(f"/f/alfa/invitations/{invitation.pk}/revoke/").status_code in {403, 405}
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.SENT
    assert Invitation.objects.count() == 1


def test_an_invitation_expires_after_30_days_is_shown_so_and_can_be_resent(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    [invitation] = send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=31),
        expires_at=timezone.now() - timedelta(days=1),
    )
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.EXPIRED
    browser = web(firm_a.admin)
    page = browser.get(detail_url(client)).text
    assert "Expired" in page
    assert f"/f/alfa/invitations/{invitation.pk}/resend/" in page

    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/f/alfa/invitations/{invitation.pk}/resend/")
    fresh = Invitation.objects.exclude(pk=invitation.pk).get()
    assert fresh.state == InvitationState.SENT
    assert fresh.expires_at > timezone.now() + timedelta(days=29)
    assert len(mail.outbox) == 2


def test_resending_to_one_contact_leaves_the_other_contacts_link_working(
    firm_a, web, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    contact_add(
        membership=firm_a.admin,
        client=client,
        data=contact("marie@peeters.example", "fr-BE", "Marie", "Dubois"),
    )
    send_invitation(
        django_capture_on_commit_callbacks,
        firm_a.admin,
        client,
        contact_ids=[c.pk for c in client.contacts.all()],
    )
    jan = Invitation.objects.get(email="jan@peeters.example")
    marie = Invitation.objects.get(email="marie@peeters.example")
    with django_capture_on_commit_callbacks(execute=True):
        web(firm_a.admin).post(f"/f/alfa/invitations/{marie.pk}/resend/")
    jan.refresh_from_db()
    marie.refresh_from_db()
    assert jan.state == InvitationState.SENT
    assert marie.state == InvitationState.REPLACED
    assert Invitation.objects.filter(email="marie@peeters.example", replaced_at=None).count() == 1


def test_resending_an_invitation_whose_contact_was_removed_replaces_it(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    contact_add(
        membership=firm_a.admin,
        client=client,
        data=contact("marie@peeters.example", "fr-BE", "Marie", "Dubois"),
    )
    marie_contact = client.contacts.get(email="marie@peeters.example")
    [to_marie] = send_invitation(
        django_capture_on_commit_callbacks, firm_a.admin, client, contact_ids=[marie_contact.pk]
    )
    marie_contact.delete()
    to_marie.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.invitation_resend(membership=firm_a.admin, invitation=to_marie)
    to_marie.refresh_from_db()
    assert to_marie.state == InvitationState.REPLACED
    assert again.email == "jan@peeters.example"


def test_withdrawing_the_last_usable_invitation_beside_an_expired_one_makes_the_client_draft(
    firm_a,
):
    client = draft_client(firm_a.admin)
    contact_add(membership=firm_a.admin, client=client, data=contact("els@peeters.example"))
    els = client.contacts.get(email="els@peeters.example")
    [old] = services.client_invite(membership=firm_a.manager, client=client)
    # Weeks later the first invitation has run out, unanswered.
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    [new] = services.client_invite(membership=firm_a.manager, client=client, contact_ids=[els.pk])

    services.invitation_revoke(membership=firm_a.manager, invitation=new)

    assert not Invitation.objects.get(pk=old.pk).is_open
    assert Client.objects.get(pk=client.pk).status == ClientStatus.DRAFT


def test_a_failed_invitation_tried_again_after_the_other_was_withdrawn_can_be_accepted(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin)
    contact_add(membership=firm_a.admin, client=client, data=contact("els@peeters.example"))
    els = client.contacts.get(email="els@peeters.example")
    [bounced] = services.client_invite(membership=firm_a.manager, client=client)
    # Its address bounced for good: the administrator will fix it and press "Try again".
    Invitation.objects.filter(pk=bounced.pk).update(failed_at=timezone.now())
    [other] = services.client_invite(membership=firm_a.manager, client=client, contact_ids=[els.pk])
    services.invitation_revoke(membership=firm_a.manager, invitation=other)
    status_after_revoke = Client.objects.get(pk=client.pk).status

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_retry_now(membership=firm_a.manager, invitation=bounced)
    assert len(mail.outbox) == 1  # the link went out
    _browser, response = accept_as_new_user(link_in(mail.outbox[0]))
    assert status_after_revoke == ClientStatus.INVITED  # the failed one may still be sent
    assert response.status_code == 302
    assert Client.objects.get(pk=client.pk).status == ClientStatus.ACTIVE
