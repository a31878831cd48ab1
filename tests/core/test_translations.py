"""Every interface string is translated, into Dutch and French, with its placeholders intact."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

PROJECT = Path(__file__).resolve().parents[2] / "src" / "partnerspace"
CATALOGS = sorted(PROJECT.glob("*/locale/*/LC_MESSAGES/django.po"))
COMMAND = str(Path(sys.executable).parent / "partnerspace")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def entries(path):
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return [message for message in catalog if message.id]


def test_every_app_with_strings_has_dutch_and_french_catalogs():
    apps = {path.parts[-5] for path in CATALOGS}
    for app in apps:
        for language in ("nl", "fr"):
            assert (PROJECT / app / "locale" / language / "LC_MESSAGES" / "django.po").exists()
    assert {"core", "accounts", "firms"} <= apps


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-5]}-{p.parts[-3]}")
def test_catalog_is_complete_and_keeps_placeholders(path):
    for message in entries(path):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert "fuzzy" not in message.flags, f"fuzzy: {ids[0]!r}"
        assert all(strings), f"untranslated: {ids[0]!r}"
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == expected or (
                # A singular form may spell the number out ("one minute") and drop it.
                len(strings) > 1 and set(PLACEHOLDER.findall(string)) <= set(expected)
            ), f"placeholders differ: {ids[0]!r} -> {string!r}"


def test_catalogs_hold_every_string_the_code_marks(tmp_path):
    """Extract the strings afresh from a copy of the source and compare with the catalogs."""
    if not shutil.which("xgettext"):
        if os.environ.get("PARTNERSPACE_CI"):
            pytest.fail("GNU gettext (xgettext) is needed to check the catalogs")
        pytest.skip("GNU gettext (xgettext) not installed")
    copy = tmp_path / "partnerspace"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "partnerspace.settings"}
    languages_of: dict[str, list[str]] = {}
    for po_path in CATALOGS:
        languages_of.setdefault(po_path.parts[-5], []).append(po_path.parts[-3])
    for app, languages in languages_of.items():
        subprocess.run(
            # The console script, not `python -m`: that would put the app folder first on
            # sys.path, where the app's selectors.py shadows the standard library's.
            [COMMAND, "makemessages", "--no-location", *(f"--locale={lang}" for lang in languages)],
            cwd=copy / app,
            env=env,
            check=True,
            capture_output=True,
        )
        for language in languages:
            relative = Path("locale") / language / "LC_MESSAGES" / "django.po"
            fresh = {m.id for m in entries(copy / app / relative)}
            kept = {m.id for m in entries(PROJECT / app / relative)}
            missing = fresh - kept
            assert not missing, f"{app}/{language}: run `make messages` and translate {missing}"
