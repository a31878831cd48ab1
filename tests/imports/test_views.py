"""The import pages: upload, preview (nothing written), import, the job page and the history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from partnerspace.clients.models import Client
from partnerspace.imports import reading, services
from partnerspace.imports.columns import COLUMN_BY_KEY
from partnerspace.imports.models import ImportJob, ImportMode, ImportStatus
from tests.factories import make_client
from tests.imports.builders import HEADERS_EN, HEADERS_NL, KEYS, csv_bytes, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


BAD_NUMBER = "0403019262"  # 0403019261 with a wrong check digit


def enterprise_number(n: int) -> str:
    """A valid Belgian enterprise number, a different one for each n."""
    first_eight = 2_000_000 + 7 * n
    return f"{first_eight:08d}{97 - first_eight % 97:02d}"


def row(n: int, **values) -> list[str]:
    """A complete, valid row for client n, in the template's column order."""
    data = {
        "legal_name": f"Bakkerij {n} BV",
        "country": "BE",
        "contact_email": f"an{n}@bakkerij{n}.example",
        "contact_first_name": "An",
        "contact_last_name": f"Peeters{n}",
        "contact_locale": "nl-BE",
        "company_number": enterprise_number(n),
        "external_reference": f"K-{n:05d}",
        "city": "Gent",
    }
    data.update(values)
    return [data.get(key, "") for key in KEYS]


def workbook(rows: list[list[str]], headers=HEADERS_NL) -> bytes:
    return xlsx([headers, *rows])


def upload(content: bytes, name: str = "klanten.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def url(name: str, people, *args) -> str:
    return reverse(f"imports:{name}", args=[people.firm.slug, *args])


def post_file(client, people, content: bytes, *, mode=ImportMode.CREATE, name="klanten.xlsx"):
    return client.post(url("upload", people), {"file": upload(content, name), "mode": mode})


def last_job(people) -> ImportJob:
    return ImportJob.objects.filter(firm=people.firm).latest("id")


# The upload page


def test_the_import_page_shows_the_three_steps_and_the_template_link(firm_a, web):
    response = web(firm_a.manager).get(url("upload", firm_a))
    assert response.status_code == 200
    page = response.content.decode()
    for testid in ("step-template", "step-fill", "step-upload", "download-template"):
        assert f'data-testid="{testid}"' in page
    assert url("template", firm_a) in page
    assert 'enctype="multipart/form-data"' in page
    assert "csrfmiddlewaretoken" in page


def test_the_client_list_offers_import_and_export_to_those_who_may_import(firm_a, web):
    page = web(firm_a.manager).get(reverse("clients:list", args=["alfa"])).content.decode()
    assert url("upload", firm_a) in page
    assert url("export", firm_a) in page
    page = web(firm_a.accountant).get(reverse("clients:list", args=["alfa"])).content.decode()
    assert url("upload", firm_a) not in page


# Upload and preview


def test_upload_shows_a_preview_with_the_counts_and_the_refused_row_and_writes_nothing(firm_a, web):
    web_client = web(firm_a.admin)
    content = workbook([row(1), row(2), row(3, company_number=BAD_NUMBER)])
    response = post_file(web_client, firm_a, content)

    job = last_job(firm_a)
    assert response.status_code == 302
    assert response.url == url("preview", firm_a, job.pk)
    assert job.status == ImportStatus.PREVIEWED
    assert (job.rows, job.created, job.updated, job.refused) == (3, 2, 0, 1)
    assert job.created_by == firm_a.admin.user and job.file_name == "klanten.xlsx"
    assert not Client.objects.filter(firm=firm_a.firm).exists()

    page = web_client.get(response.url).content.decode()
    assert 'data-testid="count-created">2<' in page
    assert 'data-testid="count-refused">1<' in page
    assert 'data-testid="error-row" data-row="4"' in page  # Excel's row: the header is row 1
    assert COLUMN_BY_KEY["company_number"].label("nl") in page  # the user speaks Dutch
    assert BAD_NUMBER in page
    assert 'data-testid="import-submit"' in page
    assert 'hx-trigger="every 1s"' not in page  # finished: nothing to poll


def test_the_preview_speaks_the_users_language(firm_a, web):
    firm_a.admin.user.language = "en"
    firm_a.admin.user.save(update_fields=["language"])
    web_client = web(firm_a.admin)
    post_file(web_client, firm_a, workbook([row(1, company_number=BAD_NUMBER)]))
    page = web_client.get(url("preview", firm_a, last_job(firm_a).pk)).content.decode()
    assert "Company number" in page
    assert "There is nothing to import" in page
    assert 'data-testid="import-submit" disabled' in page


def test_import_writes_the_valid_rows_and_skips_the_refused_one(firm_a, web):
    web_client = web(firm_a.manager)
    post_file(web_client, firm_a, workbook([row(1), row(2), row(3, company_number=BAD_NUMBER)]))
    job = last_job(firm_a)

    response = web_client.post(url("run", firm_a, job.pk))

    assert response.status_code == 302 and response.url == url("job", firm_a, job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created, job.refused) == (2, 1)
    names = set(Client.objects.filter(firm=firm_a.firm).values_list("legal_name", flat=True))
    assert names == {"Bakkerij 1 BV", "Bakkerij 2 BV"}
    page = web_client.get(response.url).content.decode()
    assert 'data-testid="import-done"' in page
    assert 'data-testid="count-created">2<' in page
    assert url("report", firm_a, job.pk) in page
    assert 'hx-trigger="every 1s"' not in page


def test_importing_twice_writes_once(firm_a, web):
    web_client = web(firm_a.manager)
    post_file(web_client, firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    web_client.post(url("run", firm_a, job.pk))
    response = web_client.post(url("run", firm_a, job.pk))
    assert response.status_code == 302
    assert Client.objects.filter(firm=firm_a.firm).count() == 1


def test_create_mode_refuses_an_existing_client_and_update_mode_updates_it(firm_a, web):
    make_client(firm_a.admin, "Oude Naam BV", company_number=enterprise_number(1))
    web_client = web(firm_a.admin)
    content = workbook([row(1, legal_name="Nieuwe Naam BV"), row(2)])

    post_file(web_client, firm_a, content)
    created_only = last_job(firm_a)
    assert (created_only.created, created_only.updated, created_only.refused) == (1, 0, 1)
    page = web_client.get(url("preview", firm_a, created_only.pk)).content.decode()
    assert "Oude Naam BV" in page  # the already_exists message names the client

    post_file(web_client, firm_a, content, mode=ImportMode.UPDATE)
    update = last_job(firm_a)
    assert update.mode == ImportMode.UPDATE
    assert (update.created, update.updated, update.refused) == (1, 1, 0)
    page = web_client.get(url("preview", firm_a, update.pk)).content.decode()
    with translation.override("nl"):
        assert str(ImportMode.UPDATE.label) in page
    assert 'data-testid="count-updated">1<' in page

    web_client.post(url("run", firm_a, update.pk))
    assert Client.objects.get(company_number=enterprise_number(1)).legal_name == "Nieuwe Naam BV"
    assert Client.objects.filter(firm=firm_a.firm).count() == 2


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_its_message(firm_a, web):
    web_client = web(firm_a.admin)
    response = post_file(web_client, firm_a, b"%PDF-1.7 not a client list", name="klanten.pdf")
    assert response.status_code == 200
    job = last_job(firm_a)
    assert job.status == ImportStatus.REFUSED
    assert job.file_error["code"] == "unsupported_format"
    page = response.content.decode()
    assert 'class="field has-error' in page
    assert job.file_error["message"] in page


def test_a_file_over_the_limit_is_refused_before_it_is_read(firm_a, web, monkeypatch):
    content = workbook([row(1)])
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", len(content) - 1)
    response = post_file(web(firm_a.admin), firm_a, content)
    assert response.status_code == 200
    message = reading.FileProblem("file_too_large", {"limit": len(content) - 1}).message()
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_of_20_mb_and_one_byte_is_refused(firm_a, web):
    content = b"x" * (20 * 1024 * 1024 + 1)
    response = post_file(web(firm_a.admin), firm_a, content, name="huge.csv")
    assert response.status_code == 200
    assert "20 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_original_file_name_is_kept_but_not_used_as_a_path(firm_a, web):
    name = "../../etc/klanten <b>2024.csv"
    content = csv_bytes([HEADERS_NL, row(1)])
    response = post_file(web(firm_a.admin), firm_a, content, name=name)
    assert response.status_code == 302
    job = last_job(firm_a)
    assert job.file_name == "klanten <b>2024.csv"
    assert ".." not in job.file.name and "klanten" not in job.file.name
    page = web(firm_a.admin).get(url("preview", firm_a, job.pk)).content.decode()
    assert "<b>2024" not in page and "&lt;b&gt;2024.csv" in page


def test_english_headers_work_too(firm_a, web):
    post_file(web(firm_a.admin), firm_a, workbook([row(1)], headers=HEADERS_EN))
    assert last_job(firm_a).created == 1


# Background work


def test_a_large_import_runs_in_the_background_with_a_progress_bar(
    firm_a, web, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 2)
    web_client = web(firm_a.manager)
    post_file(web_client, firm_a, workbook([row(1), row(2), row(3)]))
    job = last_job(firm_a)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        web_client.post(url("run", firm_a, job.pk))
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert len(callbacks) == 1
    assert not Client.objects.filter(firm=firm_a.firm).exists()

    page = web_client.get(url("job", firm_a, job.pk)).content.decode()
    assert "<progress" in page
    assert 'hx-trigger="every 1s"' in page
    fragment = web_client.get(url("job", firm_a, job.pk), headers={"HX-Request": "true"})
    assert fragment.content.decode().startswith('<section id="import-job"')

    callbacks[0]()  # the task, as the worker would run it
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.created == 3
    page = web_client.get(url("job", firm_a, job.pk)).content.decode()
    assert 'hx-trigger="every 1s"' not in page
    assert 'data-testid="count-created">3<' in page


# A real transaction: the worker closes its database connection when it stops.
@pytest.mark.django_db(transaction=True)
def test_a_large_import_is_run_by_the_database_worker(
    firm_a, web, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 1)
    web_client = web(firm_a.manager)
    post_file(web_client, firm_a, workbook([row(1), row(2)]))
    job = last_job(firm_a)

    with django_capture_on_commit_callbacks(execute=True):  # the task is stored, not run
        web_client.post(url("run", firm_a, job.pk))
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert 'hx-trigger="every 1s"' in web_client.get(url("job", firm_a, job.pk)).content.decode()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Client.objects.filter(firm=firm_a.firm).count() == 2


def test_a_large_file_is_checked_in_the_background_and_the_preview_follows_it(
    firm_a, web, monkeypatch, django_capture_on_commit_callbacks
):
    content = workbook([row(1), row(2, company_number=BAD_NUMBER)])
    monkeypatch.setattr(services, "INLINE_PREVIEW_BYTES", len(content) - 1)
    web_client = web(firm_a.manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_file(web_client, firm_a, content)
    job = last_job(firm_a)
    assert response.url == url("preview", firm_a, job.pk)
    assert job.status == ImportStatus.UPLOADED
    page = web_client.get(response.url).content.decode()
    assert 'data-testid="import-checking"' in page and 'hx-trigger="every 1s"' in page
    assert 'data-testid="import-submit"' not in page

    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert (job.created, job.refused) == (1, 1)
    fragment = web_client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' not in fragment
    assert 'data-testid="import-submit"' in fragment
    assert not Client.objects.filter(firm=firm_a.firm).exists()


def test_the_pages_send_each_status_to_its_own_page(firm_a, web):
    web_client = web(firm_a.admin)
    post_file(web_client, firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    assert web_client.get(url("job", firm_a, job.pk)).url == url("preview", firm_a, job.pk)
    polled = web_client.get(url("job", firm_a, job.pk), headers={"HX-Request": "true"})
    assert polled.headers["HX-Redirect"] == url("preview", firm_a, job.pk)
    web_client.post(url("run", firm_a, job.pk))
    assert web_client.get(url("preview", firm_a, job.pk)).url == url("job", firm_a, job.pk)


# History


def test_the_history_lists_every_import_of_the_firm_only(firm_a, firm_b, web):
    post_file(web(firm_a.admin), firm_a, workbook([row(1)]), name="alfa-klanten.xlsx")
    post_file(web(firm_a.manager), firm_a, b"nonsense", name="alfa-fout.xlsx")
    post_file(web(firm_b.admin), firm_b, workbook([row(1)]), name="beta-klanten.xlsx")

    page = web(firm_a.manager).get(url("history", firm_a)).content.decode()
    assert "alfa-klanten.xlsx" in page and "alfa-fout.xlsx" in page
    assert "beta-klanten.xlsx" not in page
    assert page.count('data-testid="import-row"') == 2
    assert str(firm_a.admin.user) in page and str(firm_a.manager.user) in page


# Permissions and tenants


@pytest.mark.parametrize("name", ["upload", "history"])
def test_an_accountant_may_not_import(firm_a, web, name):
    assert web(firm_a.accountant).get(url(name, firm_a)).status_code == 403


def test_an_accountant_may_not_upload_nor_open_an_import(firm_a, web):
    post_file(web(firm_a.admin), firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    accountant = web(firm_a.accountant)
    assert post_file(accountant, firm_a, workbook([row(2)])).status_code == 403
    assert ImportJob.objects.count() == 1
    for name in ("preview", "job"):
        assert accountant.get(url(name, firm_a, job.pk)).status_code == 403
    assert accountant.post(url("run", firm_a, job.pk)).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_another_firms_import_is_not_found(firm_a, firm_b, web):
    post_file(web(firm_a.admin), firm_a, workbook([row(1)]))
    job = last_job(firm_a)
    other = web(firm_b.admin)
    for name in ("preview", "job"):
        assert other.get(url(name, firm_b, job.pk)).status_code == 404
    assert other.post(url("run", firm_b, job.pk)).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert not Client.objects.exists()


def test_the_upload_needs_the_csrf_token(firm_a):
    from django.test import Client as TestClient

    client = TestClient(enforce_csrf_checks=True)
    client.force_login(firm_a.admin.user)
    response = client.post(url("upload", firm_a), {"file": upload(workbook([row(1)]))})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
