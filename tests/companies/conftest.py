"""The company's side of Partner Space; the firm's people here speak English (the source text)."""

from tests.invitations.conftest import english_staff  # noqa: F401 - an autouse fixture
