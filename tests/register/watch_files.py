"""Updates for the register watch's tests, on the full extract of tests/register/conftest.py:
each changes one thing of one enterprise, in the exact KBO Open Data format."""

from tests.register.conftest import DUPONT, GONE, MULLER, PEETERS, UPDATE_2
from tests.register.kbo_files import dotted, write_update

d = dotted


def dupont_named(*names):
    """DUPONT's legal names replaced by these (French)."""
    return {
        "deletes": {"denomination": [d(DUPONT)]},
        "inserts": {"denomination": [(d(DUPONT), "1", "001", name) for name in names]},
    }


PEETERS_BANKRUPT_NV = {
    "deletes": {"enterprise": [d(PEETERS)]},
    "inserts": {"enterprise": [(d(PEETERS), "AC", "012", "2", "014", "", "01-02-1998")]},
}
MOVER_TO_BRUGGE = UPDATE_2  # the register's second update: MOVER's seat to Brugge
GONE_STOPPED = {
    "deletes": {"enterprise": [d(GONE)], "denomination": [d(GONE)], "address": [d(GONE)]},
    "inserts": {},
}
# Rows replaced by the same rows: touched, not changed.
MULLER_UNCHANGED = {
    "deletes": {"enterprise": [d(MULLER)]},
    "inserts": {"enterprise": [(d(MULLER), "AC", "000", "2", "610", "", "03-03-2005")]},
}


def merged(*updates):
    deletes: dict[str, list] = {}
    inserts: dict[str, list] = {}
    for update in updates:
        for name, rows in update["deletes"].items():
            deletes.setdefault(name, []).extend(rows)
        for name, rows in update["inserts"].items():
            inserts.setdefault(name, []).extend(rows)
    return {"deletes": deletes, "inserts": inserts}


def write(tmp_path, number: int, update: dict):
    day = number - 135
    return write_update(
        tmp_path / f"KboOpenData_{number:04d}_2025_10_Update.zip",
        number=number,
        snapshot=f"{day:02d}-10-2025",
        **update,
    )
