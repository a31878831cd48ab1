from django_tasks import task

from partnerspace.firms.services import staff_invitation_send


@task()
def send_staff_invitation(invitation_id: int) -> None:
    staff_invitation_send(invitation_id=invitation_id)
