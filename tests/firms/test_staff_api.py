"""GET /staff shows e-mail addresses and roles to administrators, as the Users page does;
every other role sees who works in the firm by name only."""

import pytest

pytestmark = pytest.mark.django_db

NAME_ONLY = {"id", "first_name", "last_name"}


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_staff_who_are_no_administrators_see_names_only(firm_a, api, role):
    client = api(getattr(firm_a, role))

    listing = client.get("/staff")
    one = client.get(f"/staff/{firm_a.admin.pk}")

    assert listing.status_code == one.status_code == 200
    assert {frozenset(row) for row in listing.json()} == {frozenset(NAME_ONLY)}
    assert set(one.json()) == NAME_ONLY
    assert {row["first_name"] for row in listing.json()} == {"Anna", "Marc", "Bart"}
    for text in (listing.text, one.text):
        assert "@alfa.example" not in text
        assert "administrator" not in text


def test_administrators_see_addresses_and_roles(firm_a, api):
    rows = {row["email"]: row for row in api(firm_a.admin).get("/staff").json()}
    assert rows["accountant@alfa.example"]["roles"] == ["accountant"]
    assert api(firm_a.admin).get(f"/staff/{firm_a.manager.pk}").json()["email"] == (
        "manager@alfa.example"
    )


def test_everyone_still_sees_their_own_address_and_roles(firm_a, api):
    me = api(firm_a.accountant).get("/me").json()["user"]
    assert (me["email"], me["roles"]) == ("accountant@alfa.example", ["accountant"])


def test_the_api_document_describes_both_answers(db):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    answer = schema["paths"]["/api/v1/staff"]["get"]["responses"]["200"]
    text = str(answer)
    assert "StaffOut" in text
    assert "StaffNameOut" in text
