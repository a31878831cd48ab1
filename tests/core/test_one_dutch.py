"""One Dutch and one French: the Dutch interface says "je" and "het sjabloon" and no English
words; the French one says "vous" throughout."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

SOURCE = Path(__file__).resolve().parents[2] / "src" / "partnerspace"

DUTCH_RULES = {
    "u/uw instead of je/jouw": re.compile(r"\b(u|uw|Uw|U|uzelf)\b"),
    "English words": re.compile(r"\b(E-invoicing|e-invoicing|Primair|up-to-date)\b"),
    "de sjabloon instead of het sjabloon": re.compile(r"\b([Dd]e|[Dd]eze|[Dd]ie) sjabloon\b"),
}
FRENCH_RULES = {"tu instead of vous": re.compile(r"\b(tu|toi|ton|ta|tes|t'as)\b")}


def translations(language: str):
    for path in sorted(SOURCE.glob(f"*/locale/{language}/LC_MESSAGES/django.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                yield path.parts[-5], message.id, text or ""


@pytest.mark.parametrize(("language", "rules"), [("nl", DUTCH_RULES), ("fr", FRENCH_RULES)])
def test_the_interface_speaks_one_register(language, rules):
    found = [
        (app, rule, text)
        for app, _msgid, text in translations(language)
        for rule, pattern in rules.items()
        if pattern.search(text)
    ]
    assert found == []
