"""The rows of the client list are written in Python (clients/templatetags/client_rows.py):
the markup the template wrote, value for value, escaped alike."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from partnerspace.clients import selectors
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.selectors import ClientFilters
from partnerspace.clients.services import client_assignments_set
from partnerspace.clients.views import client_row_states
from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.invitations.models import Invitation
from partnerspace.peppol.models import ClientPeppol, RegistrationStatus
from tests.factories import make_client

pytestmark = pytest.mark.django_db

LABELS = (
    '{% translate "Select" as select_label %}{% translate "Actions for" as actions_label %}'
    '{% translate "Ref." as ref_label %}{% translate "Open" as open_label %}'
    '{% translate "Edit details" as edit_label %}{% translate "Delete" as delete_label %}'
    '{% translate "Invitation" as invitation_label %}{% translate "Peppol" as peppol_label %}'
)
# The rows of clients/_results.html as the template language wrote them.
TEMPLATE_ROWS = (
    "{% load humanize %}"
    + LABELS
    + (Path(__file__).parent / "template_rows.html").read_text(encoding="utf-8")
)
PYTHON_ROWS = (
    "{% load client_rows %}"
    + LABELS
    + "{% row_labels select=select_label actions=actions_label ref=ref_label open=open_label"
    " edit=edit_label delete=delete_label invitation=invitation_label peppol=peppol_label"
    " as row_labels %}"
    "{% client_rows page.rows selection=selection can_bulk=can_bulk can_delete=can_delete"
    " detail_base=detail_base labels=row_labels %}"
)


def squeezed(html: str) -> str:
    html = re.sub(r">\s+", ">", html.strip())
    return re.sub(r"\s+<", "<", html)


@pytest.fixture
def rows(firm_a):
    make_client(firm_a.admin, "Bakkerij <Peeters> & Zonen \"BV\" 'x'", city="Gent")
    make_client(
        firm_a.admin,
        "Zonder Nummer",
        company_number="0417497106",
        external_reference="K-<1>",
        contact={
            "first_name": "Ann",
            "last_name": "O'Neil",
            "email": "ann@x.example",
            "locale": "nl-BE",
        },
    )
    with_vat = make_client(firm_a.admin, "Met Btw", vat_number="BE0403170701")
    active = make_client(firm_a.admin, "Actief & Co")
    Client.objects.filter(pk=active.pk).update(status=ClientStatus.ACTIVE)
    template = ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Standaard <A>")
    Client.objects.filter(pk=with_vat.pk).update(template=template)
    Client.objects.filter(firm=firm_a.firm, legal_name="Zonder Nummer").update(
        template=None, template_name="Oud sjabloon"
    )
    client_assignments_set(
        membership=firm_a.admin,
        client=with_vat,
        membership_ids=[firm_a.accountant.pk, firm_a.manager.pk],
    )
    # An invitation sent, then a newer one withdrawn (the newer one shows); a registration
    # that failed; a mandate confirmed and no registration yet.
    now = timezone.now()
    Invitation.objects.create(
        firm=firm_a.firm, client=with_vat, email="a@x.example", sent_at=now,
        created_at=now - timedelta(days=2), expires_at=now + timedelta(days=28),
    )  # fmt: skip
    Invitation.objects.create(
        firm=firm_a.firm, client=with_vat, email="b@x.example", sent_at=now, revoked_at=now,
        created_at=now - timedelta(days=1), expires_at=now + timedelta(days=29),
    )  # fmt: skip
    Invitation.objects.create(
        firm=firm_a.firm, client=active, email="c@x.example", sent_at=now, accepted_at=now,
        created_at=now, expires_at=now + timedelta(days=30),
    )  # fmt: skip
    ClientPeppol.objects.create(client=active, status=RegistrationStatus.FAILED)
    Client.objects.filter(pk=with_vat.pk).update(peppol_mandate=True)
    page = selectors.client_page(firm_a.admin, ClientFilters(tab="all"), page_size=25)
    assert len(page.rows) == 4
    client_row_states(page.rows)
    return page


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize(
    ("can_bulk", "can_delete", "ticked"), [(True, True, 1), (True, False, 0), (False, False, 2)]
)
def test_the_rows_are_the_markup_the_template_wrote(rows, language, can_bulk, can_delete, ticked):
    context = {
        "page": rows,
        "selection": {rows.rows[ticked].pk},
        "can_bulk": can_bulk,
        "can_delete": can_delete,
        "detail_base": "/f/alfa/clients/",
    }
    with translation.override(language):
        expected = Template(TEMPLATE_ROWS).render(Context(context))
        written = Template(PYTHON_ROWS).render(Context(context))
    assert squeezed(written) == squeezed(expected)
    assert (
        "is-selected" in written
        and "&lt;Peeters&gt; &amp; Zonen &quot;BV&quot; &#x27;x&#x27;" in written
    )


def test_the_rows_show_the_latest_invitation_and_the_peppol_state(rows):
    with translation.override("en"):
        written = Template(PYTHON_ROWS).render(
            Context({"page": rows, "selection": set(), "can_bulk": True, "can_delete": True,
                     "detail_base": "/f/alfa/clients/"})
        )  # fmt: skip
    by_name = {
        re.search(r'class="row-link"[^>]*>([^<]*)<', row).group(1): row
        for row in written.split("<tr ")[1:]
    }
    with_vat, active = by_name["Met Btw"], by_name["Actief &amp; Co"]
    assert '<span class="badge badge-draft">Withdrawn</span>' in with_vat
    assert '<span class="badge badge-draft">Mandate confirmed</span>' in with_vat
    assert '<span class="badge badge-active">Accepted</span>' in active
    assert '<span class="badge badge-danger">Failed</span>' in active
    assert by_name["Zonder Nummer"].count('<span class="muted">—</span>') == 3  # + no staff
