"""kbo_load and kbo_update show a progress bar on a terminal, and only there."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from partnerspace.register.management.commands._progress import ProgressBar


def test_the_bar_shows_the_share_read_and_then_each_phase():
    out = io.StringIO()
    bar = ProgressBar(OutputWrapper(out))

    bar("read", 25, 100)
    bar("read", 25, 100)
    bar("read", 100, 100)
    bar("index", 0, 0)
    bar("switch", 0, 0)

    text = out.getvalue()
    assert text.count(" 25%") == 1
    assert "100%" in text
    assert text.index("Indexing") < text.index("Switching")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.django_db
def test_on_a_terminal_the_load_shows_the_bar(full_zip):
    terminal, pipe = _Terminal(), io.StringIO()

    call_command("kbo_load", str(full_zip), stdout=terminal)

    assert "100%" in terminal.getvalue()
    call_command("kbo_load", str(full_zip), stdout=pipe)
    assert "%" not in pipe.getvalue()
    assert "Loaded full extract 140" in pipe.getvalue()
