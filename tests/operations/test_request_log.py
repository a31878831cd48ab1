"""One log line per request, and its id answered in X-Request-ID."""

import re

import pytest
from django.test import Client as Browser

from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_every_answer_carries_a_new_request_id():
    first = Browser().get("/account/login/")
    second = Browser().get("/account/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("7f3c9a2e-proxy-id", True),
        ("short", False),
        ("jan@peeters.example", False),
        ("two words here", False),
        ("x" * 65, False),
    ],
)
def test_the_id_of_a_proxy_in_front_is_kept_when_it_looks_like_one(sent, kept):
    answered = Browser().get("/account/login/", headers={"X-Request-ID": sent})
    assert (answered.headers["X-Request-ID"] == sent) is kept


def test_one_line_per_request_with_firm_user_url_pattern_status_and_duration(firm_a, web, logs):
    client = make_client(firm_a.admin, "Bakkerij Peeters BV")
    response = web(firm_a.manager).get(
        f"/f/alfa/clients/{client.pk}/", {"q": "Peeters"}, headers={"X-Request-ID": "abc-12345678"}
    )
    assert response.status_code == 200
    [line] = logs.events("request")
    assert line["request_id"] == "abc-12345678"
    assert line["firm"] == "alfa"
    assert line["user_id"] == firm_a.manager.user_id
    assert line["route"] == "f/<slug:firm_slug>/clients/<int:client_id>/"
    assert line["view"] == "clients:detail"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert line["duration_ms"] > 0
    assert "Peeters" not in str(line)


def test_an_anonymous_request_for_no_page_is_logged_without_its_path(logs):
    Browser().get("/invite/secret-token-value/extra/")
    [line] = logs.events("request")
    assert (line["status"], line["route"], line["firm"], line["user_id"]) == (
        404,
        "[unmatched path]",
        None,
        None,
    )
    assert "secret-token-value" not in "".join(logs.lines)


def test_an_api_request_names_the_tokens_owner(firm_a, api, logs):
    assert api(firm_a.manager).get("/clients").status_code == 200
    [line] = logs.events("request")
    assert (line["firm"], line["user_id"]) == ("alfa", firm_a.manager.user_id)


def test_a_task_run_inside_the_request_keeps_the_requests_id_on_both_lines(
    transactional_db, firm_a, web, logs
):
    # Real commits: the tests' immediate backend runs the task at the commit, inside the
    # request, before the request's own line is written.
    response = web(firm_a.admin).post(
        "/f/alfa/users/invite/",
        {
            "first_name": "Lotte",
            "last_name": "Claes",
            "email": "lotte.claes@alfa.example",
            "language": "nl",
            "roles": ["accountant"],
        },
        headers={"X-Request-ID": "req-inline-0001"},
    )
    assert response.status_code == 302
    [task] = logs.events("task")
    [request] = logs.events("request")
    assert task["request_id"] == "req-inline-0001"
    assert request["request_id"] == "req-inline-0001"
