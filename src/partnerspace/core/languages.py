"""The languages the interface speaks: settings.LANGUAGES, and nowhere else."""

from collections.abc import Iterable

from babel import UnknownLocaleError
from babel.lists import format_list
from django.conf import settings
from django.utils import translation


def interface_languages() -> frozenset[str]:
    """The codes of the languages the interface speaks (nl, fr, en)."""
    return frozenset(code for code, _name in settings.LANGUAGES)


def interface_language(code: str | None, *, fallback: str = "en") -> str:
    """``code`` when the interface speaks it, else ``fallback``: a contact who reads German
    (e-mails speak it too) gets an English interface."""
    return code if code in interface_languages() else fallback


def words_join(words: Iterable[object]) -> str:
    """Words joined as a sentence of the active language writes them: "a, b en c"."""
    items = [str(word) for word in words]
    code = translation.get_language() or settings.LANGUAGE_CODE
    try:
        return format_list(items, locale=translation.to_locale(code))
    except (UnknownLocaleError, ValueError):
        return format_list(items, locale="en")
