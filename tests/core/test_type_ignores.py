"""Every `# type: ignore` in the code names the error it silences and says why, on its line.

mypy itself refuses an ignore without its [code] (`ignore-without-code`) and one that no
longer silences anything (`warn_unused_ignores`); the reason is this test's to ask for.
"""

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2] / "src" / "partnerspace"
IGNORE = re.compile(r"#\s*type:\s*ignore")
# The ignore, the codes it silences, then a comment with the reason.
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[\w\-, ]+\]\s*#\s*\S")


def ignores_unexplained(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if IGNORE.search(line) and not EXPLAINED.search(line):
                found.append(f"{path.relative_to(root).as_posix()}:{number}")
    return found


def test_every_type_ignore_names_its_code_and_its_reason():
    assert ignores_unexplained(PROJECT) == []


def test_an_ignore_without_its_code_or_its_reason_is_found(tmp_path):
    (tmp_path / "sample.py").write_text(
        "a = f()  # type: ignore[arg-type]\n"
        "b = g()  # type: ignore\n"
        "c = h()  # type: ignore  # no code\n"
        "d = k()  # type: ignore[misc]  # the stub says str, the library returns bytes\n",
        encoding="utf-8",
    )
    assert ignores_unexplained(tmp_path) == ["sample.py:1", "sample.py:2", "sample.py:3"]
