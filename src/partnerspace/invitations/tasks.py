from django_tasks import task

from partnerspace.core.delivery import CLAIM_LEASE
from partnerspace.core.recovery import leased
from partnerspace.invitations.registration import pending_registration_deliver
from partnerspace.invitations.services import invitation_deliver


@leased(CLAIM_LEASE)
@task()
def deliver_invitation(invitation_id: int) -> str:
    return invitation_deliver(invitation_id=invitation_id)


@leased(CLAIM_LEASE)
@task()
def deliver_registration(pending_id: int) -> str:
    return pending_registration_deliver(pending_id=pending_id)
