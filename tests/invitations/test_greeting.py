"""The invitation greets the contact by first name, in the Flemish way: "Dag Pieter,"."""

from django.core import mail

from tests.invitations.helpers import draft_client, send_invitation


def test_the_dutch_invitation_says_dag_and_the_first_name(
    firm_a, django_capture_on_commit_callbacks
):
    client = draft_client(firm_a.admin, email="pieter@peeters.example", locale="nl-BE")
    client.contacts.update(first_name="Pieter", last_name="Peeters")
    send_invitation(django_capture_on_commit_callbacks, firm_a.admin, client)
    message = mail.outbox[-1]
    assert message.body.startswith("Dag Pieter,")
    assert "Peeters," not in message.body.splitlines()[0]
    html = message.alternatives[0][0]
    assert "Dag Pieter," in html
