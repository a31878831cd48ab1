"""Undoing an import through its doors: the page (plan, then confirm), the API and the
command line; and the import's id where each door gives it."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from partnerspace.clients.models import Client
from partnerspace.imports.models import ImportJob, ImportMode

from .rows import client_row, xlsx_of
from .test_undo import imported

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def undo_url(people, job) -> str:
    return reverse("imports:undo", args=[people.firm.slug, job.pk])


# The page


def test_the_page_shows_the_plan_first_and_changes_nothing(firm_a, web):
    job = imported(firm_a.manager, [client_row(1), client_row(2)])

    page = web(firm_a.manager).get(undo_url(firm_a, job))

    assert page.status_code == 200
    assert page.context["plan"].deleted == 2
    assert b'data-testid="undo-confirm"' in page.content
    assert b"Bakkerij 1 BV" in page.content
    assert Client.objects.count() == 2


def test_confirming_starts_the_undo_in_the_background_and_the_import_page_follows_it(
    firm_a, web, django_capture_on_commit_callbacks
):
    job = imported(firm_a.manager, [client_row(1), client_row(2)])
    browser = web(firm_a.admin)
    job_url = reverse("imports:job", args=[firm_a.firm.slug, job.pk])

    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = browser.post(undo_url(firm_a, job))

    assert answer.status_code == 302
    assert len(queued) == 1  # the undo's task, queued once the claim commits
    assert Client.objects.count() == 2  # nothing written within the request
    page = browser.get(job_url)
    assert b'data-testid="import-undoing"' in page.content
    assert b'hx-trigger="every 1s"' in page.content
    assert b'data-testid="undo-progress"' in page.content
    # A second confirmation while it runs is refused, not run twice.
    browser.post(undo_url(firm_a, job))
    assert ImportJob.objects.get(pk=job.pk).undo_attempts == 0

    queued[0]()  # the worker takes the task

    assert not Client.objects.exists()
    polled = browser.get(job_url, headers={"HX-Request": "true"})
    assert b'data-testid="import-undone"' in polled.content
    assert b'hx-trigger="every 1s"' not in polled.content


def test_an_undo_whose_run_stopped_says_so_and_goes_on_when_asked(
    firm_a, web, django_capture_on_commit_callbacks
):
    job = imported(firm_a.manager, [client_row(1)])
    browser = web(firm_a.admin)
    with django_capture_on_commit_callbacks(execute=False):
        browser.post(undo_url(firm_a, job))
    # Its run died: the lease it held ran out.
    ImportJob.objects.filter(pk=job.pk).update(
        undo_lease_until=timezone.now() - timedelta(seconds=1)
    )

    page = browser.get(reverse("imports:job", args=[firm_a.firm.slug, job.pk]))
    assert b'data-testid="undo-stalled"' in page.content
    assert b'data-testid="undo-go-on"' in page.content
    with django_capture_on_commit_callbacks(execute=True) as queued:
        browser.post(undo_url(firm_a, job))

    assert len(queued) == 1
    assert ImportJob.objects.get(pk=job.pk).undo_result["deleted"] == 1
    assert not Client.objects.exists()


def test_confirming_undoes_and_the_import_page_says_when_and_by_whom(
    firm_a, web, django_capture_on_commit_callbacks
):
    job = imported(firm_a.manager, [client_row(1)])
    browser = web(firm_a.admin)

    with django_capture_on_commit_callbacks(execute=True):
        answer = browser.post(undo_url(firm_a, job))

    assert answer.status_code == 302
    assert not Client.objects.exists()
    page = browser.get(reverse("imports:job", args=[firm_a.firm.slug, job.pk]))
    assert b'data-testid="import-undone"' in page.content
    assert (
        firm_a.admin.user.email.encode() in page.content
        or str(firm_a.admin.user).encode() in page.content
    )
    assert b'data-testid="undo-import"' not in page.content


def test_the_import_page_offers_the_undo_to_those_who_import(firm_a, web):
    job = imported(firm_a.manager, [client_row(1)])

    page = web(firm_a.manager).get(reverse("imports:job", args=[firm_a.firm.slug, job.pk]))

    assert b'data-testid="undo-import"' in page.content


def test_the_undo_is_posted_with_a_csrf_token(firm_a):
    from django.test import Client as Browser

    job = imported(firm_a.manager, [client_row(1)])
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(firm_a.admin.user)

    assert browser.post(undo_url(firm_a, job)).status_code == 403
    assert Client.objects.count() == 1


def test_an_accountant_gets_403_and_another_firm_404(firm_a, firm_b, web):
    job = imported(firm_a.manager, [client_row(1)])

    assert web(firm_a.accountant).get(undo_url(firm_a, job)).status_code == 403
    assert web(firm_a.accountant).post(undo_url(firm_a, job)).status_code == 403
    other = reverse("imports:undo", args=[firm_b.firm.slug, job.pk])
    assert web(firm_b.admin).get(other).status_code == 404
    assert web(firm_b.admin).post(other).status_code == 404
    assert Client.objects.count() == 1


def test_a_second_undo_from_the_page_says_it_was_undone_already(firm_a, web):
    job = imported(firm_a.manager, [client_row(1)])
    browser = web(firm_a.admin)
    browser.post(undo_url(firm_a, job))

    page = browser.get(undo_url(firm_a, job))

    assert b'data-testid="undo-refused"' in page.content


# The API


def test_the_api_plans_with_dry_run_then_undoes_in_the_background_answering_202(
    firm_a, api, django_capture_on_commit_callbacks
):
    job = imported(firm_a.manager, [client_row(1)])
    token = api(firm_a.manager)

    plan = token.post(f"/imports/{job.pk}/undo", {"dry_run": True})
    assert plan.status_code == 200, plan.content
    assert (plan.json()["state"], plan.json()["deleted"]) == ("not_undone", 1)
    assert plan.json()["undone_at"] is None
    assert Client.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = token.post(f"/imports/{job.pk}/undo", {})
    assert started.status_code == 202, started.content
    assert (started.json()["state"], started.json()["total"]) == ("running", 1)
    assert Client.objects.count() == 1
    assert token.get(f"/imports/{job.pk}/undo").json()["state"] == "running"
    busy = token.post(f"/imports/{job.pk}/undo", {})
    assert (busy.status_code, busy.json()["code"]) == (409, "undo_running")

    queued[0]()  # the worker takes the task

    done = token.get(f"/imports/{job.pk}/undo")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["state"], body["dry_run"], body["deleted"], body["undone_by"]) == (
        "done",
        False,
        1,
        firm_a.manager.user.email,
    )
    assert body["processed"] == body["total"] == 1
    assert body["to_delete"][0]["name"] == "Bakkerij 1 BV"
    assert not Client.objects.exists()

    again = token.post(f"/imports/{job.pk}/undo", {})
    assert again.status_code == 409
    assert again.json()["code"] == "already_undone"


def test_the_api_refuses_an_accountant_and_hides_another_firms_import(firm_a, firm_b, api):
    job = imported(firm_a.manager, [client_row(1)])

    assert api(firm_a.accountant).post(f"/imports/{job.pk}/undo", {}).status_code == 403
    assert api(firm_b.admin).post(f"/imports/{job.pk}/undo", {}).status_code == 404
    assert Client.objects.count() == 1


def test_the_api_lists_the_firms_imports_newest_first_page_by_page(firm_a, firm_b, api):
    first = imported(firm_a.manager, [client_row(1)])
    second = imported(firm_a.manager, [client_row(1)], mode=ImportMode.UPDATE)
    third = imported(firm_a.manager, [client_row(2)])
    imported(firm_b.manager, [client_row(3)])

    page = api(firm_a.admin).get("/imports", {"page_size": 2})

    assert page.status_code == 200
    body = page.json()
    assert [item["id"] for item in body["results"]] == [third.pk, second.pk]
    assert (body["count"], body["next_page"]) == (3, 2)
    assert body["results"][0]["created_by"] == firm_a.manager.user.email
    rest = api(firm_a.admin).get("/imports", {"page_size": 2, "page": 2}).json()
    assert [item["id"] for item in rest["results"]] == [first.pk]
    assert rest["next_page"] is None
    assert api(firm_a.accountant).get("/imports").status_code == 403


# The command line


def command(name, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *map(str, args), stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_import_clients_json_prints_the_imports_id_and_import_undo_takes_it_back(firm_a, tmp_path):
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(xlsx_of([client_row(1), client_row(2)]))
    status, out, _err = command("import_clients", "--firm", "alfa", path, "--json")
    assert status == 0
    import_id = json.loads(out)["id"]
    assert ImportJob.objects.get(pk=import_id).created == 2

    status, out, _err = command("import_undo", import_id, "--dry-run", "--json")
    assert status == 0
    assert json.loads(out)["deleted"] == 2
    assert Client.objects.count() == 2

    status, out, _err = command("import_undo", import_id, "--language", "en")
    assert status == 0
    assert "2 clients deleted" in out
    assert not Client.objects.exists()

    status, _out, err = command("import_undo", import_id, "--language", "en")
    assert status == 2
    assert "undone already" in err
