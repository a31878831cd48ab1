"""`make run` mails links to the address it serves on: PARTNERSPACE_BASE_URL follows HOST
unless it is set. Read from `make -n` (what make would run), so nothing is served."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def planned_run(*arguments: str, **environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PARTNERSPACE_BASE_URL"}
    env.update(environment)
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def commands_of_the_site(plan: str) -> list[str]:
    return [
        line
        for line in plan.replace("\\\n", " ").splitlines()
        if "partnerspace " in line and "compiletranslations" not in line
    ]


def test_make_run_on_another_port_mails_links_to_that_port():
    plan = planned_run("HOST=127.0.0.1:8811")
    commands = commands_of_the_site(plan)
    assert any("runserver 127.0.0.1:8811" in line for line in commands)
    # migrate, seed_demo and the served site with its task worker all know the address.
    assert len(commands) >= 3
    for line in commands:
        assert 'PARTNERSPACE_BASE_URL="http://127.0.0.1:8811"' in line, line


def test_make_run_keeps_a_base_url_that_is_set():
    plan = planned_run("HOST=0.0.0.0:8000", PARTNERSPACE_BASE_URL="https://portaal.example")
    for line in commands_of_the_site(plan):
        assert 'PARTNERSPACE_BASE_URL="https://portaal.example"' in line, line
        assert "127.0.0.1" not in line


def test_make_run_without_host_serves_and_links_to_port_8000():
    plan = planned_run()
    for line in commands_of_the_site(plan):
        assert 'PARTNERSPACE_BASE_URL="http://127.0.0.1:8000"' in line, line
