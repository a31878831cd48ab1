"""The languages the interface speaks: settings.LANGUAGES, and nowhere else."""

from django.conf import settings


def interface_languages() -> frozenset[str]:
    """The codes of the languages the interface speaks (nl, fr, en)."""
    return frozenset(code for code, _name in settings.LANGUAGES)


def interface_language(code: str | None, *, fallback: str = "en") -> str:
    """``code`` when the interface speaks it, else ``fallback``: a contact who reads German
    (e-mails speak it too) gets an English interface."""
    return code if code in interface_languages() else fallback
