from django.db import transaction

from partnerspace.accounts.models import LoginFailure, User, email_key


def login_failure_record(*, email: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(email=email_key(email)[:254], ip_address=ip_address)


def login_failures_clear(*, email: str) -> None:
    LoginFailure.objects.filter(email=email_key(email)).delete()


@transaction.atomic
def user_language_set(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])
