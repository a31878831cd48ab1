from django_tasks import task

from partnerspace.accounts.services import password_reset_mail_send as _send


@task()
def password_reset_mail_send(email: str, language: str) -> None:
    _send(email=email, language=language)
