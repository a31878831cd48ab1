import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from partnerspace.firms.models import Membership, StaffInvitation
from tests.factories import make_user

pytestmark = pytest.mark.django_db

INVITE = {
    "first_name": "Lotte",
    "last_name": "Claes",
    "email": "Lotte.Claes@Alfa.example",
    "language": "fr",
    "roles": ["accountant", "client_manager"],
}


def invite(client, django_capture_on_commit_callbacks, data=INVITE):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/f/alfa/users/invite/", data)


def link_in(message) -> str:
    return re.search(r"http://testserver(/join/\S+/)", message.body).group(1)


def test_administrator_invites_a_colleague_who_gets_a_mail_in_her_language(
    firm_a, web, django_capture_on_commit_callbacks
):
    response = invite(web(firm_a.admin), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = StaffInvitation.objects.get()
    assert invitation.email == "lotte.claes@alfa.example"
    assert invitation.is_accountant and invitation.is_client_manager
    assert not invitation.is_administrator
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lotte.claes@alfa.example"]
    assert "Boekhoudkantoor Alfa" in message.subject
    assert "invite" in message.subject.lower() or "invit" in message.subject.lower()
    assert message.alternatives[0][1] == "text/html"
    token = link_in(message).split("/")[2]
    invitation.refresh_from_db()
    # Only the public selector and a digest are stored; the secret part is nowhere in the row.
    assert token.startswith(invitation.token_selector)
    secret = token[len(invitation.token_selector) :]
    assert secret not in invitation.token_digest
    assert hashlib.sha256(secret.encode()).hexdigest() == invitation.token_digest


def test_new_colleague_creates_her_account_and_joins_with_the_invited_roles(
    firm_a, web, django_capture_on_commit_callbacks
):
    invite(web(firm_a.admin), django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    client = Client()
    page = client.get(link)
    assert page.status_code == 200
    assert "Boekhoudkantoor Alfa" in page.text
    response = client.post(
        link,
        {
            "first_name": "Lotte",
            "last_name": "Claes",
            "password1": "long-enough-pass",
            "password2": "long-enough-pass",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="lotte.claes@alfa.example")
    assert membership.firm == firm_a.firm
    assert (membership.is_accountant, membership.is_client_manager) == (True, True)
    assert membership.user.language == "fr"
    assert client.session["_auth_user_id"] == str(membership.user.pk)


def test_the_link_works_only_once(firm_a, web, django_capture_on_commit_callbacks):
    invite(web(firm_a.admin), django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    data = {
        "first_name": "L",
        "last_name": "C",
        "password1": "long-enough-pass",
        "password2": "long-enough-pass",
    }
    assert Client().post(link, data).status_code == 302
    assert Client().get(link).status_code == 404


def test_an_expired_or_tampered_link_shows_the_invalid_page(
    firm_a, web, django_capture_on_commit_callbacks
):
    invite(web(firm_a.admin), django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    tampered = link[:-3] + ("a" if link[-3] != "a" else "b") + link[-2:]
    assert Client().get(tampered).status_code == 404
    StaffInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(link)
    assert response.status_code == 404
    assert "niet langer geldig" in response.text


def test_withdrawn_invitation_link_stops_working(firm_a, web, django_capture_on_commit_callbacks):
    client = web(firm_a.admin)
    invite(client, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    invitation = StaffInvitation.objects.get()
    client.post(f"/f/alfa/users/invitations/{invitation.pk}/revoke/")
    assert Client().get(link).status_code == 404


def test_resending_replaces_the_old_link(firm_a, web, django_capture_on_commit_callbacks):
    client = web(firm_a.admin)
    invite(client, django_capture_on_commit_callbacks)
    first = link_in(mail.outbox[0])
    invitation = StaffInvitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/f/alfa/users/invitations/{invitation.pk}/resend/")
    second = link_in(mail.outbox[1])
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200


def test_someone_with_an_account_logs_in_then_accepts(
    firm_a, firm_b, web, django_capture_on_commit_callbacks
):
    data = {**INVITE, "email": "admin@beta.example"}
    invite(web(firm_a.admin), django_capture_on_commit_callbacks, data)
    link = link_in(mail.outbox[0])
    anonymous = Client().get(link)
    assert "/account/login/?next=" in anonymous.text
    client = web(firm_b.admin)
    assert client.post(link).status_code == 302
    assert Membership.objects.filter(user=firm_b.admin.user, firm=firm_a.firm).exists()


def test_a_link_opened_by_another_logged_in_account_is_refused(
    firm_a, web, django_capture_on_commit_callbacks
):
    invite(web(firm_a.admin), django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    stranger = Client()
    stranger.force_login(make_user("stranger@example.example"))
    response = stranger.post(link)
    assert response.status_code == 200
    assert not Membership.objects.filter(user__email="stranger@example.example").exists()


def test_inviting_a_current_colleague_says_so(firm_a, web):
    data = {**INVITE, "email": "manager@alfa.example"}
    response = web(firm_a.admin).post("/f/alfa/users/invite/", data)
    assert response.status_code == 200
    assert "werkt al in dit kantoor" in response.text
    assert not StaffInvitation.objects.exists()


def test_invite_form_refuses_a_bad_address_and_no_role(firm_a, web):
    data = {**INVITE, "email": "not-an-address", "roles": []}
    response = web(firm_a.admin).post("/f/alfa/users/invite/", data)
    assert response.status_code == 200
    assert "Kies minstens één rol" in response.text
    assert not StaffInvitation.objects.exists()


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_only_administrators_manage_users(firm_a, web, role):
    client = web(getattr(firm_a, role))
    assert client.get("/f/alfa/users/").status_code == 403
    assert client.post("/f/alfa/users/invite/", INVITE).status_code == 403
    assert not StaffInvitation.objects.exists()


def test_password_too_short_is_refused_on_joining(firm_a, web, django_capture_on_commit_callbacks):
    invite(web(firm_a.admin), django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    response = Client().post(
        link, {"first_name": "L", "last_name": "C", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user__email="lotte.claes@alfa.example").exists()
