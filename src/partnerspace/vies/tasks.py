from django_tasks import task

from partnerspace.core.recovery import leased
from partnerspace.vies.services import RUN_LEASE, vat_checks_run


# Taken up again after a dead worker's lease: the checks it held free themselves (their own
# lease), and a run does nothing another run still holds.
@leased(RUN_LEASE)
@task()
def run_vat_checks() -> int:
    """Ask VIES about the queued VAT numbers that are due (at most VIES_SLOTS runs at once)."""
    return vat_checks_run()
