from django_tasks import task

from partnerspace.core.delivery import CLAIM_LEASE
from partnerspace.core.recovery import leased
from partnerspace.register.digest import register_digests_send


# Leased: a worker that stopped mid-send leaves the task to be queued again (core.recovery),
# and its claim to be taken again once the lease has run out (register.digest).
@leased(CLAIM_LEASE)
@task()
def register_digest_send(extract_number: int) -> int:
    return register_digests_send(extract_number=extract_number, task=register_digest_send)
