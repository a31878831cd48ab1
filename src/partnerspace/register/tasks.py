from django_tasks import task

from partnerspace.register.digest import register_digests_send


@task()
def register_digest_send(extract_number: int) -> int:
    return register_digests_send(extract_number=extract_number)
