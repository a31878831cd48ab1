"""The same words in the preview and the result: each outcome of a row (new, changed,
unchanged, refused) and the values repaired are named once (imports.outcomes), and the
preview, the import's result, the history, the API and the command line use those words."""

import re

import pytest
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse
from django.utils import translation

from partnerspace.imports.models import ImportJob, ImportMode
from partnerspace.imports.outcomes import OUTCOME_LABELS, REPAIRED_LABEL
from tests.factories import make_client
from tests.imports.test_views import (  # noqa: F401 (a fixture)
    BAD_NUMBER,
    enterprise_number,
    post_file,
    row,
    upload,
    uploads_in_tmp,
    workbook,
)

pytestmark = pytest.mark.django_db

LABEL = re.compile(r'data-testid="label-(\w+)">([^<]*)<')


def labels(page: str) -> dict[str, str]:
    return dict(LABEL.findall(page))


def expected(language: str) -> dict[str, str]:
    with translation.override(language):
        return {
            **{key: str(label) for key, label in OUTCOME_LABELS.items()},
            "warnings": str(REPAIRED_LABEL),
        }


def a_file_of_every_outcome(people):
    """New (2), changed (1) and refused (1) in update mode."""
    make_client(people.admin, "Oude Naam BV", company_number=enterprise_number(1))
    return workbook(
        [
            row(1, legal_name="Nieuwe Naam BV"),
            row(3),
            row(4),
            row(5, company_number=BAD_NUMBER),
        ]
    )


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_preview_and_the_result_name_each_count_with_the_same_words(firm_a, web, language):
    firm_a.admin.user.language = language
    firm_a.admin.user.save(update_fields=["language"])
    browser = web(firm_a.admin)
    post_file(browser, firm_a, a_file_of_every_outcome(firm_a), mode=ImportMode.UPDATE)
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    preview = browser.get(reverse("imports:preview", args=["alfa", job.pk])).content.decode()

    browser.post(reverse("imports:run", args=["alfa", job.pk]))
    job.refresh_from_db()
    assert (job.created, job.updated, job.refused) == (2, 1, 1)
    result = browser.get(reverse("imports:job", args=["alfa", job.pk])).content.decode()

    assert labels(preview) == labels(result) == expected(language)


def test_the_dutch_words_are_one_per_outcome_and_speak_no_english(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, workbook([row(1), row(2, company_number=BAD_NUMBER)]))
    job = ImportJob.objects.filter(firm=firm_a.firm).latest("id")
    preview = browser.get(reverse("imports:preview", args=["alfa", job.pk])).content.decode()
    browser.post(reverse("imports:run", args=["alfa", job.pk]))
    result = browser.get(reverse("imports:job", args=["alfa", job.pk])).content.decode()

    assert list(labels(preview).values()) == [
        "Nieuw",
        "Gewijzigd",
        "Ongewijzigd",
        "Geweigerd",
        "Gecorrigeerde waarden",
    ]
    for page in (preview, result):
        for old in ("Al actueel", "up-to-date", "Geweigerd, niet geïmporteerd", "Aan te maken"):
            assert old not in page


def test_the_history_heads_its_counts_with_the_same_words(firm_a, web):
    browser = web(firm_a.admin)
    post_file(browser, firm_a, workbook([row(1)]))
    page = browser.get(reverse("imports:history", args=["alfa"])).content.decode()
    heads = dict(re.findall(r'data-testid="history-label-(\w+)">([^<]*)<', page))
    words = expected("nl")
    assert heads == {key: words[key] for key in ("created", "updated", "unchanged", "refused")}


def test_the_api_answers_the_words_beside_the_counts(firm_a, api):
    client = api(firm_a.manager)
    data = {"file": upload(workbook([row(1)])), "dry_run": "true"}
    with translation.override("nl"):
        body = client.post("/imports", data, content_type=MULTIPART_CONTENT).json()
    words = expected("nl")
    words["warning_count"] = words.pop("warnings")
    assert body["outcome_labels"] == words
