"""Text no database column can hold, wherever text comes in (the API, the services, an
import's cells, a search): a NUL, which PostgreSQL refuses in any text value, and a lone UTF-16
surrogate ("\\ud800" is valid JSON), which has no UTF-8 form for either database's driver.
Refused with INVALID_CHARACTER where a person typed it; taken out where it is noise (a cell,
a search)."""

import re

from django.utils.translation import gettext_lazy

INVALID_CHARACTER = "invalid_character"
INVALID_CHARACTER_MESSAGE = gettext_lazy(
    "Remove the control character from this text: it cannot be stored."
)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What a cell or a search never means: the C0 control characters (the spacing ones, tab and
# line breaks, are read as spaces where they come in), DEL, and the unstorable.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None
