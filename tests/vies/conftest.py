import pytest

from tests.vies.servers import LocalVies


@pytest.fixture
def vies(settings):
    """The local VIES on 127.0.0.1; the app's checks go there, with a short timeout."""
    server = LocalVies().start()
    settings.PARTNERSPACE_VIES_URL = server.url
    settings.PARTNERSPACE_VIES_TIMEOUT = 1.0
    yield server
    server.stop()


@pytest.fixture
def english(firm_a):
    """Messages are asserted in the source language."""
    for membership in (firm_a.admin, firm_a.manager, firm_a.accountant):
        membership.user.language = "en"
        membership.user.save(update_fields=["language"])
