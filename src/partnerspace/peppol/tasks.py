from django_tasks import task

from partnerspace.core.recovery import leased
from partnerspace.peppol.services.registration import batch_dispatch
from partnerspace.peppol.services.runner import REGISTRATION_LEASE, registration_run


@leased(REGISTRATION_LEASE)
@task()
def register_client(client_id: int) -> str:
    """Register (or deregister) one client with the firm's SMP; retries itself on failure."""
    return registration_run(client_id=client_id)


# Queueing a batch takes seconds; taken up again, it queues the clients still pending, and
# a client queued twice is registered once (its lease).
@leased(REGISTRATION_LEASE)
@task()
def dispatch_batch(batch_id: int) -> int:
    return batch_dispatch(batch_id=batch_id)
