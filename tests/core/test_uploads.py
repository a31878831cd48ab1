"""An upload over the ceiling is not written to disk beyond it, and is refused as before."""

import pytest
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse

from partnerspace.imports import reading
from partnerspace.imports.models import ImportJob
from tests.imports.test_views import upload

pytestmark = pytest.mark.django_db

CEILING = 200_000


class Recorder(FileUploadHandler):
    """Stands where the memory and temporary-file handlers stand: counts what reaches them."""

    received: list[int] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        Recorder.received.append(0)

    def receive_data_chunk(self, raw_data, start):
        Recorder.received[-1] += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def ceiling(settings, monkeypatch):
    settings.PARTNERSPACE_UPLOAD_MAX_BYTES = CEILING
    settings.FILE_UPLOAD_HANDLERS = [
        "partnerspace.core.uploads.UploadCeilingHandler",
        "tests.core.test_uploads.Recorder",
        *settings.FILE_UPLOAD_HANDLERS[1:],
    ]
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", CEILING)
    Recorder.received = []


def test_a_file_over_the_ceiling_is_not_stored_and_the_form_says_it_is_too_large(
    firm_a, web, ceiling
):
    content = b"x" * (CEILING * 5)
    response = web(firm_a.manager).post(
        reverse("imports:upload", args=["alfa"]),
        {"file": upload(content, "groot.csv"), "mode": "create"},
    )

    assert response.status_code == 200
    assert "Dit bestand is te groot" in response.text
    assert Recorder.received and Recorder.received[0] <= CEILING
    assert not ImportJob.objects.exists()


def test_a_file_under_the_ceiling_reaches_the_import_whole(firm_a, web, ceiling):
    content = b"Juridische naam *\n" + b"x" * 1000
    web(firm_a.manager).post(
        reverse("imports:upload", args=["alfa"]),
        {"file": upload(content, "klein.csv"), "mode": "create"},
    )
    assert Recorder.received == [len(content)]
    assert ImportJob.objects.get().file_size == len(content)


def test_the_api_refuses_a_file_over_the_ceiling_with_413(firm_a, api, ceiling):
    from tests.imports.test_api import post_import

    response = post_import(api(firm_a.admin), b"x" * (CEILING * 3), name="groot.csv")
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert Recorder.received[0] <= CEILING
