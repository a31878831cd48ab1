"""import_clients tells a crash from refused rows by its exit status: 1 is "some rows were
refused", a crash is 3 (in a real process, as a script calling it sees it)."""

from tests.processes import process_database

from .builders import HEADERS_NL, client_row, xlsx

__all__ = ["process_database"]

CRASH = """
from django.core.management import execute_from_command_line
from partnerspace.imports.pipeline import Importer

def crash(self, sheet, **options):
    raise RuntimeError("the database went away")

Importer.run = crash
execute_from_command_line(["partnerspace", "import_clients", *sys.argv[1:]])
"""


def test_a_crash_exits_3_not_1_and_says_what_stays(process_database, tmp_path):
    slug = process_database.firm()
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(xlsx([HEADERS_NL, [*client_row(1)[:16], ""]]))
    result = process_database.python(CRASH, "--firm", slug, str(path))
    assert result.returncode == 3, (result.returncode, result.stderr[-3000:])
    assert "--update" in result.stderr.strip().splitlines()[-1]
    fine = process_database.manage("import_clients", "--firm", slug, str(path))
    assert fine.returncode == 0, fine.stderr
