from django_tasks import task

from partnerspace.imports.services import import_run, import_undo_continue


@task()
def run_import(job_id: int, preview: bool = False) -> None:
    import_run(job_id=job_id, preview=preview)


@task()
def run_import_undo(job_id: int) -> None:
    """A confirmed undo, batch by batch; taken up again after a crash (imports.recovery)."""
    import_undo_continue(job_id=job_id)
