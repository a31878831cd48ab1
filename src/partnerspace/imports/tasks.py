from django_tasks import task

from partnerspace.imports.services import import_run


@task()
def run_import(job_id: int, preview: bool = False) -> None:
    import_run(job_id=job_id, preview=preview)
