import pytest

from tests.peppol.builders import configure
from tests.peppol.servers import LocalSml, LocalSmp


@pytest.fixture
def sml(settings):
    """The SML's DNS, on a free UDP port of 127.0.0.1; the app's look-ups go there."""
    server = LocalSml().start()
    settings.PARTNERSPACE_DNS_RESOLVER = server.address
    settings.PARTNERSPACE_SML_ZONE = server.zone
    yield server
    server.stop()


@pytest.fixture
def smp(settings):
    server = LocalSmp().start()
    settings.PARTNERSPACE_SMP_TIMEOUT = 2.0
    # The local SMP is on 127.0.0.1, which an installation must allow for an SMP.
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = ["127.0.0.1"]
    yield server
    server.stop()


@pytest.fixture
def peppol(firm_a, sml, smp):
    """Firm A's SMP configured: the local one, with its access point and the BIS Billing types."""
    return configure(firm_a.admin, smp)


@pytest.fixture
def english(firm_a):
    """Messages are asserted in the source language; the catalogs are translated later."""
    for membership in (firm_a.admin, firm_a.manager, firm_a.accountant):
        membership.user.language = "en"
        membership.user.save(update_fields=["language"])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
