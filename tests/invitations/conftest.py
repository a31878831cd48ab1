"""The firm's people in these tests speak English: the invitations and companies apps are not
translated yet, so their pages then show the source text and tests never depend on a catalogue."""

import pytest

from partnerspace.accounts.models import User


@pytest.fixture(autouse=True)
def english_staff(firm_a, firm_b):
    """The firm pages these tests read speak English (the source text)."""
    User.objects.filter(memberships__firm__in=[firm_a.firm, firm_b.firm]).update(language="en")
    for people in (firm_a, firm_b):
        for membership in (people.admin, people.manager, people.accountant):
            membership.user.language = "en"
