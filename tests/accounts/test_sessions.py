"""The session every request reads (accounts.sessions): a live session logs its user in, an
expired, deleted or unknown one logs nobody in, on both databases."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def overview(firm_people):
    return reverse("firms:overview", args=[firm_people.firm.slug])


def test_a_live_session_is_read_in_one_query_and_logs_its_user_in(firm_a, web):
    browser = web(firm_a.admin)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(overview(firm_a)).status_code == 200
    reads = [query for query in queries if "django_session" in query["sql"]]
    assert len(reads) == 1


def test_an_expired_session_logs_nobody_in(firm_a, web):
    browser = web(firm_a.admin)
    key = browser.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    answer = browser.get(overview(firm_a))
    assert answer.status_code == 302 and "/account/login/" in answer["Location"]


def test_a_session_ended_elsewhere_logs_nobody_in(firm_a, web):
    browser = web(firm_a.admin)
    Session.objects.filter(session_key=browser.cookies["sessionid"].value).delete()
    answer = browser.get(overview(firm_a))
    assert answer.status_code == 302 and "/account/login/" in answer["Location"]


def test_an_unknown_session_key_logs_nobody_in_and_is_not_kept(firm_a, web, client):
    client.cookies["sessionid"] = "x" * 32
    answer = client.get(overview(firm_a))
    assert answer.status_code == 302 and "/account/login/" in answer["Location"]
    assert not Session.objects.filter(session_key="x" * 32).exists()


def test_a_deactivated_persons_live_session_logs_nobody_in(firm_a, web):
    browser = web(firm_a.admin)
    assert browser.get(overview(firm_a)).status_code == 200
    type(firm_a.admin.user).objects.filter(pk=firm_a.admin.user.pk).update(is_active=False)
    answer = browser.get(overview(firm_a))
    assert answer.status_code == 302 and "/account/login/" in answer["Location"]
