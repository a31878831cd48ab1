"""Tasks the task-queue tests run in real worker processes (importable by the workers)."""

import os
import time
import uuid
from pathlib import Path

from django.db import transaction
from django_tasks import task

from partnerspace.firms.models import Firm


@task()
def record_run(
    key: str, rows: int = 1, work: float = 0.0, pause: float = 0.0, halfway_file: str = ""
) -> str:
    """Work `work` seconds with no transaction open (as a mail is sent), then create `rows`
    firms named `key` in one transaction, and say which worker ran it.

    With `halfway_file`, once half of them are written (not yet committed) it writes its
    process id and its parent's there, then pauses `pause` seconds before the rest: the moment
    a test kills it. The slugs are random, so a second run would add rows rather than fail.
    """
    time.sleep(work)
    with transaction.atomic():
        for number in range(rows):
            if halfway_file and number == rows // 2:
                Path(halfway_file).write_text(f"{os.getpid()} {os.getppid()}")
                time.sleep(pause)
            Firm.objects.create(name=key, slug=f"run-{uuid.uuid4().hex[:20]}")
    return os.environ.get("PARTNERSPACE_TEST_WORKER", "?")
