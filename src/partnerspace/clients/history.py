"""What changed, said once: the client's history entries."""

from partnerspace.clients.models import Client, ClientHistory, HistorySource
from partnerspace.clients.validation import CLIENT_FIELDS

# Fields whose changes the history records, in the order the page shows them.
TRACKED_FIELDS = (*CLIENT_FIELDS, "status")


def snapshot(instance, fields=TRACKED_FIELDS) -> dict:
    return {name: getattr(instance, name) for name in fields}


def differences(before: dict, after: dict) -> list[dict]:
    """The fields whose value changed; empty and missing count as the same."""
    return [
        {"field": name, "old": _plain(before.get(name)), "new": _plain(after.get(name))}
        for name in after
        if _blank_as_none(before.get(name)) != _blank_as_none(after.get(name))
    ]


def creation_changes(values: dict) -> list[dict]:
    """The history lines of a new client: every field it starts with a value for."""
    return [
        {"field": name, "old": None, "new": _plain(value)}
        for name, value in values.items()
        if value is not None and value != ""
    ]


def contact_label(contact) -> str:
    """A contact as the history names it."""
    return f"{contact.first_name} {contact.last_name} <{contact.email}>"


def _blank_as_none(value):
    return None if value == "" or value is None else value


def _plain(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def history_record(
    *,
    client: Client,
    actor,
    source: str = HistorySource.STAFF,
    action: str,
    changes: list[dict] | None = None,
) -> ClientHistory:
    return ClientHistory.objects.create(
        client=client,
        actor=actor,
        actor_label=(str(actor) if actor else ""),
        source=source,
        action=action,
        changes=changes or [],
    )
