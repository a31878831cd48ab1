"""The words for what an import does with a row, one per outcome, written here once.

The preview (what the import will do), its result (what it did), the import history, the
command line's summary and the API's `outcome_labels` all name the counts with these words,
so that the person who checks a file finds the same words after importing it.
"""

from dataclasses import dataclass
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# The counts an ImportJob and an importer's Outcome keep, in the order they are shown.
OUTCOME_KEYS = ("created", "updated", "unchanged", "refused")

OUTCOME_LABELS: dict[str, Promise] = {
    "created": pgettext_lazy("import outcome", "New"),
    "updated": pgettext_lazy("import outcome", "Changed"),
    "unchanged": pgettext_lazy("import outcome", "Unchanged"),
    "refused": pgettext_lazy("import outcome", "Refused"),
}
# Not a row's outcome but a count shown beside them: values accepted in a corrected form.
REPAIRED_LABEL = pgettext_lazy("import outcome", "Values repaired")
WARNINGS = "warnings"


class Counts(Protocol):
    """An ImportJob or an importer's Outcome: what keeps the counts."""

    @property
    def created(self) -> int: ...
    @property
    def updated(self) -> int: ...
    @property
    def unchanged(self) -> int: ...
    @property
    def refused(self) -> int: ...
    @property
    def warning_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    key: str
    label: str
    count: int


def outcome_counts(counts: Counts) -> list[OutcomeCount]:
    """The outcomes of an ImportJob or an Outcome, each with its word and its count, then
    the values repaired (key `warnings`)."""
    return [
        *(
            OutcomeCount(key, str(OUTCOME_LABELS[key]), getattr(counts, key))
            for key in OUTCOME_KEYS
        ),
        OutcomeCount(WARNINGS, str(REPAIRED_LABEL), counts.warning_count),
    ]


def outcome_labels() -> dict[str, str]:
    """The words in the active language, by count: what the API answers beside the counts."""
    return {
        **{key: str(label) for key, label in OUTCOME_LABELS.items()},
        "warning_count": str(REPAIRED_LABEL),
    }
