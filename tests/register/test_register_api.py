"""GET /api/v1/register/companies/{number} and GET /api/v1/register/companies?q=."""

import pytest
from django.core.management import call_command

from partnerspace.register.services import register_load
from tests.register.conftest import DUPONT, JANSSENS, MULLER, NIEUW, PEETERS, PEETERS_COMMERCIAL
from tests.register.kbo_files import write_full

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))


def speaking(membership, language):
    membership.user.language = language
    membership.user.save(update_fields=["language"])
    return membership


@pytest.mark.parametrize(
    "spelling", ["0403019261", "0403.019.261", "BE0403019261", "be 0403 019 261", "403019261"]
)
def test_a_company_by_its_number_in_any_spelling(firm_a, api, loaded, spelling):
    response = api(firm_a.admin).get(f"/register/companies/{spelling}")

    assert response.status_code == 200, response.content
    assert response.json()["number"] == PEETERS
    assert response.json()["number_display"] == "0403.019.261"


def test_every_role_reads_the_register(firm_a, firm_b, api, loaded):
    for membership in (firm_a.accountant, firm_a.manager, firm_b.admin):
        response = api(membership).get(f"/register/companies/{PEETERS}")
        assert response.status_code == 200, membership


def test_the_answer_in_dutch(firm_a, api, loaded):
    body = api(speaking(firm_a.admin, "nl")).get(f"/register/companies/{PEETERS}").json()

    assert body["legal_name"] == "Bakkerij Peeters"
    assert body["legal_form"] == {"code": "610", "label": "Besloten vennootschap"}
    assert body["situation"] == {"code": "000", "label": "Normale toestand"}
    assert body["type"]["label"] == "Rechtspersoon"
    assert body["start_date"] == "1998-02-01"
    assert {(n["type"]["code"], n["name"]) for n in body["names"]} == {
        ("001", "Bakkerij Peeters"),
        ("002", "BP"),
        ("003", PEETERS_COMMERCIAL),
    }
    assert body["seat"]["street"] == "Bondgenotenlaan"
    assert body["seat"]["municipality"] == "Leuven"
    assert body["seat"]["type"]["label"] == "Maatschappelijke zetel"
    assert [c["type"]["code"] for c in body["contacts"]] == ["TEL", "EMAIL", "WEB"]
    assert body["register_copy"]["snapshot_date"] == "2025-10-04"
    assert body["register_copy"]["extract_number"] == 140


def test_the_answer_in_french(firm_a, api, loaded):
    body = api(speaking(firm_a.admin, "fr")).get(f"/register/companies/{PEETERS}").json()

    assert body["legal_form"]["label"] == "Société à responsabilité limitée"
    assert body["seat"]["street"] == "Boulevard des Alliés"
    assert body["seat"]["municipality"] == "Louvain"
    assert body["names"][0]["type"]["label"] == "Dénomination"


def test_english_falls_back_to_dutch(firm_a, api, loaded):
    body = api(speaking(firm_a.admin, "en")).get(f"/register/companies/{DUPONT}").json()

    assert body["legal_form"]["label"] == "Naamloze vennootschap"


def test_a_natural_person_has_no_seat(firm_a, api, loaded):
    body = api(firm_a.admin).get(f"/register/companies/{JANSSENS}").json()

    assert body["seat"] is None
    assert body["legal_form"] is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Niet in het register van"),
        ("fr", "Pas dans le registre du"),
    ],
)
def test_a_number_not_in_the_register_is_404_with_the_date_of_the_copy(
    firm_a, api, loaded, language, expected
):
    response = api(speaking(firm_a.admin, language)).get("/register/companies/0403170701")

    assert response.status_code == 404
    assert response.json()["detail"].startswith(expected)
    assert "2025" in response.json()["detail"]


def test_without_a_register_every_number_is_404(firm_a, api):
    response = api(firm_a.admin).get(f"/register/companies/{PEETERS}")

    assert response.status_code == 404


def test_an_invalid_number_is_422(firm_a, api, loaded):
    response = api(firm_a.admin).get("/register/companies/0403019262")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "number"
    assert response.json()["errors"][0]["code"] == "company_number_checksum"


def test_no_token_no_register(client, loaded):
    assert client.get(f"/api/v1/register/companies/{PEETERS}").status_code == 401
    assert client.get("/api/v1/register/companies?q=peeters").status_code == 401


def search(api, membership, q, **params):
    response = api(membership).get("/register/companies", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def numbers(body):
    return [result["number"] for result in body["results"]]


def test_search_in_any_case_and_without_accents(firm_a, api, loaded):
    assert numbers(search(api, firm_a.admin, "MULLER")) == [MULLER]
    assert numbers(search(api, firm_a.admin, "bäckerei müller")) == [MULLER]
    assert numbers(search(api, firm_a.admin, "generale luxembourgeoise")) != []


def test_search_words_in_any_order_the_last_a_prefix(firm_a, api, loaded):
    assert numbers(search(api, firm_a.admin, "peeters bakkerij")) == [PEETERS]
    assert numbers(search(api, firm_a.admin, "bakkerij pee")) == [PEETERS]
    assert numbers(search(api, firm_a.admin, "kroon brass")) == [PEETERS]
    # Only the last word is a prefix.
    assert numbers(search(api, firm_a.admin, "bakk peeters")) == []


def test_search_answers_number_name_legal_form_and_municipality(firm_a, api, loaded):
    body = search(api, speaking(firm_a.admin, "fr"), "nieuwe st")

    assert body["results"] == [
        {
            "number": NIEUW,
            "number_display": "1000.000.021",
            "name": "Nieuwe Start",
            "legal_name": "Nieuwe Start",
            "legal_form": "Société à responsabilité limitée",
            "postal_code": "9000",
            "municipality": "Gand",
        }
    ]
    assert body["register_copy"]["snapshot_date"] == "2025-10-04"


def test_search_ranks_short_legal_names_first_and_names_each_company_once(firm_a, api, loaded):
    body = search(api, firm_a.admin, "peeters")

    assert numbers(body) == [PEETERS, "0470000038"]
    assert body["results"][0]["name"] == "Bakkerij Peeters"


def test_search_by_the_start_of_a_number(firm_a, api, loaded):
    assert numbers(search(api, firm_a.admin, "0403.01")) == [PEETERS]
    assert numbers(search(api, firm_a.admin, "BE 1000")) == [NIEUW]


def test_search_gives_the_best_ten_or_the_limit(firm_a, api, tmp_path):
    enterprises, names = [], []
    for index in range(30):
        first8 = f"0{4000000 + index:07d}"
        number = first8 + f"{97 - int(first8) % 97:02d}"
        dotted = f"{number[:4]}.{number[4:7]}.{number[7:]}"
        enterprises.append((dotted, "AC", "000", "2", "610", "", "01-01-2000"))
        words = " ".join(["Bouw"] + ["Extra"] * (index % 5) + [f"Nr{index}"])
        names.append((dotted, "2", "001", words))
    path = write_full(
        tmp_path / "many.zip",
        number=1,
        snapshot="01-01-2025",
        tables={"enterprise": enterprises, "denomination": names},
    )
    register_load(path=path)

    body = search(api, firm_a.admin, "bouw")
    assert len(body["results"]) == 10
    # The six names of two words ("Bouw NrX") first, then those of three.
    assert [r["name"].count(" ") for r in body["results"]] == [1] * 6 + [2] * 4
    assert len(search(api, firm_a.admin, "bouw", limit=25)["results"]) == 25
    assert (
        api(firm_a.admin).get("/register/companies", {"q": "bouw", "limit": 51}).status_code == 422
    )


def test_an_empty_or_one_letter_query_finds_nothing(firm_a, api, loaded):
    assert search(api, firm_a.admin, "")["results"] == []
    assert search(api, firm_a.admin, "b")["results"] == []
    assert numbers(search(api, firm_a.admin, "bakkerij p")) == [PEETERS]


def test_search_without_a_register(firm_a, api):
    body = search(api, firm_a.admin, "peeters")

    assert body == {"register_copy": None, "results": []}
