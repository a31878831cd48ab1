"""The digest e-mail of an update: one per assigned person, listing their clients' changes, in
the person's language, sent once, through a real SMTP conversation; a firm may switch it off."""

import email
from datetime import timedelta
from email.message import Message

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time

from partnerspace.clients.models import ClientAssignment
from partnerspace.core.delivery import CLAIM_LEASE
from partnerspace.register import digest
from partnerspace.register.digest import register_digests_send
from partnerspace.register.models import RegisterDigestSent
from partnerspace.register.tasks import register_digest_send
from tests.factories import make_client
from tests.register.conftest import DUPONT, PEETERS, make_mover
from tests.register.watch_files import (
    MOVER_TO_BRUGGE,
    PEETERS_BANKRUPT_NV,
    dupont_named,
    merged,
    write,
)
from tests.smtp import django_smtp_server

pytestmark = pytest.mark.django_db


class Mailbox:
    def __init__(self):
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address) -> list[Message]:
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def smtp_server(settings):
    with django_smtp_server(settings, Mailbox()) as mailbox:
        yield mailbox


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no plain text part")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no HTML part")


def subject_of(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


@pytest.fixture
def clients(firm_a, full_zip):
    """DUPONT and PEETERS assigned to the accountant (Dutch), MOVER to the manager (French);
    the administrator has no client assigned."""
    call_command("kbo_load", str(full_zip))
    dupont = make_client(firm_a.admin, "Dupont Brood", company_number=DUPONT)
    peeters = make_client(firm_a.admin, "Bakkerij Peeters", company_number=PEETERS)
    mover = make_mover(firm_a.admin)
    for client in (dupont, peeters):
        ClientAssignment.objects.create(client=client, membership=firm_a.accountant)
    ClientAssignment.objects.create(client=mover, membership=firm_a.manager)
    firm_a.accountant.user.language = "nl"
    firm_a.accountant.user.save(update_fields=["language"])
    firm_a.manager.user.language = "fr"
    firm_a.manager.user.save(update_fields=["language"])
    return {"dupont": dupont, "peeters": peeters, "mover": mover}


UPDATE = merged(dupont_named("Boulangerie Dupont & Fils"), PEETERS_BANKRUPT_NV, MOVER_TO_BRUGGE)


def run_update(tmp_path, capture, number=141):
    with capture(execute=True):
        call_command("kbo_update", str(write(tmp_path, number, UPDATE)))


def test_each_assigned_person_gets_one_digest_of_their_clients_in_their_language(
    firm_a, clients, smtp_server, tmp_path, django_capture_on_commit_callbacks
):
    run_update(tmp_path, django_capture_on_commit_callbacks)

    [dutch] = smtp_server.to(firm_a.accountant.user.email)
    [french] = smtp_server.to(firm_a.manager.user.email)
    assert smtp_server.to(firm_a.admin.user.email) == []
    assert len(smtp_server.messages) == 2

    assert subject_of(dutch) == "Boekhoudkantoor Alfa: 3 wijzigingen in de KBO bij je klanten"
    text = text_of(dutch)
    assert "Dag Bart," in text
    assert "aan jou zijn toegewezen" in text
    assert "Dupont Brood" in text and "Bakkerij Peeters" in text
    assert "Verhuizers Peeters" not in text
    assert "Juridische naam: Boulangerie Dupont → Boulangerie Dupont & Fils" in text
    assert "Rechtsvorm: Besloten vennootschap → Naamloze vennootschap" in text
    assert "Rechtstoestand: Normale toestand → Opening faillissement" in text
    assert f"http://testserver/f/alfa/clients/{clients['dupont'].pk}/" in text
    assert "http://testserver/f/alfa/register/changes/" in text
    assert "Boulangerie Dupont &amp; Fils" in html_of(dutch)

    assert (
        subject_of(french) == "Boekhoudkantoor Alfa : 1 modification dans la BCE pour vos clients"
    )
    text = text_of(french)
    assert "Bonjour Marc," in text
    assert "vous sont assignés" in text
    assert "Adresse du siège: Rue de la Loi 16, 1000 Bruxelles → Markt 1, 8000 Bruges" in text
    assert "Dupont" not in text


def test_an_english_speaker_gets_it_in_english(
    firm_a, clients, smtp_server, tmp_path, django_capture_on_commit_callbacks
):
    firm_a.accountant.user.language = "en"
    firm_a.accountant.user.save(update_fields=["language"])

    run_update(tmp_path, django_capture_on_commit_callbacks)

    [message] = smtp_server.to(firm_a.accountant.user.email)
    assert subject_of(message) == "Boekhoudkantoor Alfa: 3 changes in the KBO for your clients"
    assert "Legal name: Boulangerie Dupont → Boulangerie Dupont & Fils" in text_of(message)


def test_a_digest_is_sent_once_however_often_the_task_runs(
    firm_a, clients, smtp_server, tmp_path, django_capture_on_commit_callbacks
):
    run_update(tmp_path, django_capture_on_commit_callbacks)

    assert register_digests_send(extract_number=141) == 0
    assert len(smtp_server.messages) == 2
    assert RegisterDigestSent.objects.count() == 2


def test_a_firm_that_switched_the_digest_off_gets_none(
    firm_a, clients, smtp_server, tmp_path, django_capture_on_commit_callbacks, web
):
    response = web(firm_a.admin).post(
        f"/f/{firm_a.firm.slug}/settings/", {"name": firm_a.firm.name}
    )
    assert response.status_code == 302
    firm_a.firm.refresh_from_db()
    assert firm_a.firm.register_digest is False

    run_update(tmp_path, django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    assert RegisterDigestSent.objects.count() == 0


def test_only_an_administrator_switches_the_digest(firm_a, web):
    for people in (firm_a.manager, firm_a.accountant):
        response = web(people).post(f"/f/{firm_a.firm.slug}/settings/", {"name": "X"})
        assert response.status_code == 403
    firm_a.firm.refresh_from_db()
    assert firm_a.firm.register_digest is True


def test_a_failed_mail_gives_its_claim_back_for_the_next_run(
    firm_a, clients, settings, tmp_path, mailoutbox
):
    call_command("kbo_update", str(write(tmp_path, 141, UPDATE)))  # the digest not yet sent
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    with pytest.raises(ConnectionRefusedError):
        register_digests_send(extract_number=141)
    assert RegisterDigestSent.objects.count() == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert register_digests_send(extract_number=141) == 2
    assert len(mailoutbox) == 2


def test_a_digest_whose_sender_died_mid_send_is_sent_once_its_claim_runs_out(
    firm_a, clients, tmp_path, mailoutbox, monkeypatch
):
    call_command("kbo_update", str(write(tmp_path, 141, UPDATE)))  # the digest not yet sent

    def stopped(**kwargs):  # the worker stopped while the mail server was being called
        raise SystemExit("stopped")

    with monkeypatch.context() as patch:
        patch.setattr(digest, "mail_send", stopped)
        with pytest.raises(SystemExit):
            register_digests_send(extract_number=141)
    assert mailoutbox == []

    # A run at once sends the other digest and leaves the claimed one: its sender may live.
    assert register_digests_send(extract_number=141) == 1
    assert len(mailoutbox) == 1
    # Once the claim has run out, the next run sends it; after that, nobody again.
    with freeze_time(timezone.now() + CLAIM_LEASE + CLAIM_LEASE / 10):
        assert register_digests_send(extract_number=141) == 1
        assert register_digests_send(extract_number=141) == 0
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [firm_a.accountant.user.email, firm_a.manager.user.email]
    )


def test_a_digest_another_run_holds_brings_the_task_back_when_its_claim_runs_out(
    firm_a, clients, tmp_path, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    call_command("kbo_update", str(write(tmp_path, 141, UPDATE)))  # the digest not yet sent
    claimed_at = timezone.now()
    RegisterDigestSent.objects.create(
        extract_number=141, membership=firm_a.accountant, claimed_at=claimed_at, changes=2
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert register_digests_send(extract_number=141, task=register_digest_send) == 1
    assert [message.to for message in mailoutbox] == [[firm_a.manager.user.email]]
    [later] = DBTaskResult.objects.filter(run_after__gt=timezone.now())
    assert later.args_kwargs == {"args": [141], "kwargs": {}}
    expected = claimed_at + CLAIM_LEASE
    assert expected < later.run_after < expected + timedelta(seconds=5)
