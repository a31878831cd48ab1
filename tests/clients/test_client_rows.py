"""The rows of the client list are written in Python (clients/templatetags/client_rows.py):
the markup the template wrote, value for value, escaped alike."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from partnerspace.clients import selectors
from partnerspace.clients.models import Client, ClientStatus
from partnerspace.clients.selectors import ClientFilters
from partnerspace.clients.services import client_assignments_set
from partnerspace.configuration.models import ConfigurationTemplate
from tests.factories import make_client

pytestmark = pytest.mark.django_db

LABELS = (
    '{% translate "Select" as select_label %}{% translate "Actions for" as actions_label %}'
    '{% translate "Ref." as ref_label %}{% translate "Open" as open_label %}'
    '{% translate "Edit details" as edit_label %}{% translate "Delete" as delete_label %}'
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
    " edit=edit_label delete=delete_label as row_labels %}"
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
    page = selectors.client_page(firm_a.admin, ClientFilters(tab="all"), page_size=25)
    assert len(page.rows) == 4
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
