"""kbo_load and kbo_update refuse a ZIP they cannot read, whatever the reason, with exit
status 2 and nothing changed (the daily script goes on only past a refusal): an encrypted
member, a compression method Python does not read (Deflate64, which Windows writes for large
archives), an ExtractNumber no register can hold."""

import struct
import zipfile

import pytest
from django.core.management import call_command

from partnerspace.register.models import RegisterExtract
from partnerspace.register.selectors import register_company_get, register_copy
from tests.register.conftest import GONE, UPDATE_1, full_tables
from tests.register.kbo_files import write_full, write_update
from tests.register.test_kbo_staging import refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(full_zip):
    call_command("kbo_load", str(full_zip))


def _member_patched(path, member: str, *, flags: int | None = None, method: int | None = None):
    """The ZIP with a member's flags or compression method changed in its central directory
    (what zipfile reads before it opens the member)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        archive.getinfo(member)  # it is there
    name = member.encode()
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            break
        at += 4
    if flags is not None:
        struct.pack_into("<H", data, at + 8, flags)
    if method is not None:
        struct.pack_into("<H", data, at + 10, method)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("member", "change"),
    [("denomination_insert.csv", {"flags": 0x1}), ("address_insert.csv", {"method": 9})],
    ids=["encrypted", "deflate64"],
)
def test_an_update_with_a_member_python_cannot_open_is_refused(loaded, update_1, member, change):
    _member_patched(update_1, member, **change)
    assert member in refused("kbo_update", update_1)
    assert register_copy().extract_number == 140
    assert register_company_get(GONE) is not None


def test_a_full_extract_with_an_encrypted_meta_is_refused(tmp_path):
    path = write_full(tmp_path / "f.zip", number=140, snapshot="04-10-2025", tables=full_tables())
    _member_patched(path, "meta.csv", flags=0x1)
    refused("kbo_load", path)
    assert not RegisterExtract.objects.exists()


@pytest.mark.parametrize("number", ["-1", "0", "99999999999999999999"])
def test_a_full_extract_with_an_impossible_extract_number_is_refused(tmp_path, number):
    path = write_full(
        tmp_path / "f.zip", number=number, snapshot="04-10-2025", tables=full_tables()
    )
    assert "ExtractNumber" in refused("kbo_load", path)
    assert not RegisterExtract.objects.exists()


def test_an_update_with_a_huge_extract_number_is_refused(loaded, tmp_path):
    path = write_update(
        tmp_path / "u.zip", number="99999999999999999999", snapshot="05-10-2025", **UPDATE_1
    )
    assert "ExtractNumber" in refused("kbo_update", path)
    assert register_copy().extract_number == 140
