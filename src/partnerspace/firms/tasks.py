from django_tasks import task

from partnerspace.core.delivery import CLAIM_LEASE
from partnerspace.core.recovery import leased
from partnerspace.firms.services import staff_invitation_send


@leased(CLAIM_LEASE)
@task()
def send_staff_invitation(invitation_id: int) -> None:
    staff_invitation_send(invitation_id=invitation_id)
