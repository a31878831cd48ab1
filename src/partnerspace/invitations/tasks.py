from django_tasks import task

from partnerspace.invitations.services import invitation_deliver


@task()
def deliver_invitation(invitation_id: int) -> str:
    return invitation_deliver(invitation_id=invitation_id)
