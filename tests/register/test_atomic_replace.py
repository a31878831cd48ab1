"""A full load replaces the copy atomically: a reader during the load sees the old copy whole."""

import threading

import pytest
from django.db import connection

from partnerspace.register.selectors import (
    register_companies_search,
    register_company_get,
    register_copy,
)
from partnerspace.register.services import register_load
from tests.register.conftest import PEETERS, full_tables
from tests.register.kbo_files import write_full


def _renamed_extract(tmp_path):
    data = full_tables()
    data["denomination"] = [
        (number, language, kind, name.replace("Bakkerij Peeters", "Bakkerij Peeters Nieuw"))
        for number, language, kind, name in data["denomination"]
    ]
    return write_full(tmp_path / "next.zip", number=141, snapshot="01-11-2025", tables=data)


@pytest.mark.parametrize("pause_at", ["index", "switch"])
def test_a_reader_during_a_load_sees_the_old_copy(committed_register, full_zip, tmp_path, pause_at):
    register_load(path=full_zip)
    paused, resume, failures = threading.Event(), threading.Event(), []

    def progress(phase, done, total):
        if phase == pause_at:
            paused.set()
            assert resume.wait(30)

    def load():
        try:
            register_load(path=_renamed_extract(tmp_path), progress=progress)
        except Exception as error:  # reported by the test below
            failures.append(error)
        finally:
            connection.close()

    loader = threading.Thread(target=load)
    loader.start()
    try:
        assert paused.wait(30), failures
        # The new copy's rows are all written: this connection still reads the old copy.
        assert register_copy().extract_number == 140
        assert register_company_get(PEETERS).legal_name == "Bakkerij Peeters"
        assert [m.name for m in register_companies_search("bakkerij peeters")] == [
            "Bakkerij Peeters"
        ]
        assert register_companies_search("peeters nieuw") == []
    finally:
        resume.set()
        loader.join(60)
    assert failures == []

    assert register_copy().extract_number == 141
    assert register_company_get(PEETERS).legal_name == "Bakkerij Peeters Nieuw"
    assert [m.number for m in register_companies_search("peeters nieuw")] == [PEETERS]
