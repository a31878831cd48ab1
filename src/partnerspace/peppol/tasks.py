from django_tasks import task

from partnerspace.peppol.services import batch_dispatch, registration_run


@task()
def register_client(client_id: int) -> str:
    """Register (or deregister) one client with the firm's SMP; retries itself on failure."""
    return registration_run(client_id=client_id)


@task()
def dispatch_batch(batch_id: int) -> int:
    return batch_dispatch(batch_id=batch_id)
