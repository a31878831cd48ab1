"""`partnerspace check --deploy` with the production settings of a host on Redis."""

import subprocess
import sys

from tests.operations.conftest import REPO_ROOT, production_environment


def test_the_deploy_check_passes_for_a_host_on_postgresql_and_redis(tmp_path):
    env = production_environment(
        tmp_path / "unused.sqlite3",
        DATABASE_URL="postgres://partnerspace@db.internal:5432/partnerspace",
        PARTNERSPACE_BASE_URL="https://partnerspace.example.be",
        EMAIL_URL="smtp://mailer:secret@smtp.example.be:587?tls=1",
        TASKS_BACKEND="django_tasks_rq.RQBackend",
        REDIS_URL="redis://redis.internal:6379/0",
        PARTNERSPACE_METRICS_TOKEN="a-long-random-token-for-prometheus-0123456789",
    )
    result = subprocess.run(
        [sys.executable, "-m", "partnerspace", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
