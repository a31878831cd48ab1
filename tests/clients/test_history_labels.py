"""Every field a history entry names has a label in the interface's languages: the page never
shows a bare key such as "invitation"."""

import re
from pathlib import Path

from django.utils import translation

from partnerspace.clients.labels import FIELD_LABELS

SOURCE = Path(__file__).resolve().parents[2] / "src" / "partnerspace"


def history_fields() -> set[str]:
    pattern = re.compile(r'\{"field": "([a-z_]+)"')
    return {
        name
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }


def test_every_field_the_history_records_has_a_dutch_label():
    fields = history_fields()
    assert {"invitation", "contact", "status", "assigned"} <= fields
    assert fields <= set(FIELD_LABELS), fields - set(FIELD_LABELS)
    with translation.override("nl"):
        assert str(FIELD_LABELS["invitation"]) == "Uitnodiging"
