"""Another request's delete, committing between a request's access check and its change."""


def deleted_after_fetch(monkeypatch, module, getter: str) -> None:
    """The access helper `getter` that `module` (a door) calls finds its object, which is then
    deleted before the change the door asks for: the change must answer 404, not a 500."""
    real = getattr(module, getter)

    def fetch_then_someone_deletes(*args, **kwargs):
        found = real(*args, **kwargs)
        type(found).objects.filter(pk=found.pk).delete()
        return found

    monkeypatch.setattr(module, getter, fetch_then_someone_deletes)
