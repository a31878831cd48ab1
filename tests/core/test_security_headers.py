import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_forbid_inline_scripts_and_framing():
    response = Client().get("/account/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.text  # only external scripts: the policy would block any


def test_session_cookie_is_http_only_and_same_site(firm_a):
    from tests.factories import PASSWORD

    client = Client()
    response = client.post(
        "/account/login/", {"username": "admin@alfa.example", "password": PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def _not_stored(response) -> bool:
    directives = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_every_firm_page_a_staff_member_sees_is_kept_out_of_caches(firm_a, web):
    """Every page under /f/<firm>/ shows the firm's data: none may be kept by a browser's or a
    proxy's cache, where the next person at the computer or behind the proxy would find it."""
    from tests.core.test_tenant_isolation import fill, firm_routes, objects_of_firm

    objects_of_a = objects_of_firm(firm_a)
    client = web(firm_a.admin)
    seen = 0
    for route in firm_routes():
        url = fill(route, {"firm_slug": "alfa", **objects_of_a})
        response = client.get(url)
        if response.status_code in {405, 404}:
            continue  # a POST-only action, or a file the test did not write
        assert _not_stored(response), f"GET {url} -> {response.headers.get('Cache-Control')}"
        seen += 1
    assert seen >= 20


def test_the_client_page_and_the_api_are_kept_out_of_caches(firm_a, web, api):
    from tests.factories import make_client

    client = make_client(firm_a.admin, "Alfa Bouw BV")
    assert _not_stored(web(firm_a.manager).get(f"/f/alfa/clients/{client.pk}/"))
    assert _not_stored(api(firm_a.manager).get("/clients"))
    assert _not_stored(api(firm_a.manager).get(f"/clients/{client.pk}"))


def test_the_client_space_and_the_login_page_are_kept_out_of_caches(firm_a):
    from partnerspace.companies.models import Company, CompanyUser
    from tests.factories import make_user

    person = make_user("boss@company.example")
    company = Company.objects.create(legal_name="Eigen Bedrijf")
    CompanyUser.objects.create(company=company, user=person)
    client = Client()
    client.force_login(person)
    assert _not_stored(client.get("/company/", follow=True))
    assert _not_stored(Client().get("/account/login/"))


def test_static_files_may_still_be_cached():
    response = Client().get("/static/core/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
