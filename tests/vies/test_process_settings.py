"""The processes the tests start (workers, commands) never reach the real VIES."""

from tests.processes import process_env


def test_a_test_process_has_no_vies_address_unless_a_test_gives_one(monkeypatch):
    monkeypatch.delenv("PARTNERSPACE_TEST_VIES_URL", raising=False)
    assert process_env("sqlite:///unused.sqlite3")["PARTNERSPACE_VIES_URL"] == ""

    monkeypatch.setenv("PARTNERSPACE_TEST_VIES_URL", "http://127.0.0.1:9/vies")
    assert process_env("sqlite:///unused.sqlite3")["PARTNERSPACE_VIES_URL"] == (
        "http://127.0.0.1:9/vies"
    )
