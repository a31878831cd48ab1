"""One step indicator, the same four steps on every import page, right about where the user is.
A file with the template's headers passes the columns step by itself."""

import re

import pytest
from django.utils import translation

from partnerspace.imports.models import ImportStatus
from tests.imports.test_views import BAD_NUMBER, last_job, post_file, row, url, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def steps(html: str) -> list[tuple[str, str]]:
    """(step, done / current / todo) for each step of the page's one step indicator."""
    lists = re.findall(r'<ol class="steps"[^>]*>(.*?)</ol>', html, re.S)
    assert len(lists) == 1, f"{len(lists)} step indicators"
    found = []
    for attrs, label in re.findall(r"<li([^>]*)>([^<]*)</li>", lists[0]):
        state = "current" if "aria-current" in attrs else "done" if "done" in attrs else "todo"
        found.append((label.strip(), state))
    return found


def test_every_import_page_shows_the_same_steps_each_in_its_state(firm_a, web):
    firm_a.admin.user.language = "en"
    firm_a.admin.user.save(update_fields=["language"])
    browser = web(firm_a.admin)
    with translation.override("en"):
        upload = browser.get(url("upload", firm_a)).text
        assert steps(upload) == [
            ("Upload", "current"),
            ("Columns", "todo"),
            ("Check", "todo"),
            ("Import", "todo"),
        ]

        post_file(browser, firm_a, workbook([row(1), row(2, company_number=BAD_NUMBER)]))
        job = last_job(firm_a)
        preview = browser.get(url("preview", firm_a, job.pk)).text
        assert steps(preview) == [
            ("Upload", "done"),
            ("Columns", "done"),
            ("Check", "current"),
            ("Import", "todo"),
        ]

        browser.post(url("run", firm_a, job.pk))
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE
        result = browser.get(url("job", firm_a, job.pk)).text
        assert steps(result) == [
            ("Upload", "done"),
            ("Columns", "done"),
            ("Check", "done"),
            ("Import", "done"),
        ]


def test_a_running_import_is_at_the_import_step(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    type(job).objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    with translation.override("en"):
        page = browser.get(url("job", firm_a, job.pk), headers={"Accept-Language": "en"}).text
    assert [state for _label, state in steps(page)] == ["done", "done", "done", "current"]


def test_the_preview_lists_the_clients_it_will_create_the_first_ones_with_a_count(
    firm_a, web, monkeypatch
):
    from partnerspace.imports import pipeline

    monkeypatch.setattr(pipeline, "PREVIEW_CLIENTS", 2)
    browser = web(firm_a.admin)
    rows = [row(1), row(2, company_number=BAD_NUMBER), row(3), row(4)]
    post_file(browser, firm_a, workbook(rows))
    job = last_job(firm_a)
    assert job.created == 3
    page = browser.get(url("preview", firm_a, job.pk)).text
    listed = re.findall(r'<tr data-testid="client-to-create"><td[^>]*>(\d+)</td><td>([^<]*)<', page)
    assert listed == [("2", "Bakkerij 1 BV"), ("4", "Bakkerij 3 BV")]
    assert 'data-testid="clients-to-create-capped"' in page
    assert "3 klanten worden aangemaakt" in page
