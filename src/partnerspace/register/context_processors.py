from functools import cache

from partnerspace.register.selectors import register_changes_count


def register_changes(request):
    """The menu's count of open register changes: counted once, and only when a page draws
    the menu (a template calls a callable when it reads it)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {"register_changes_open": cache(lambda: register_changes_count(membership))}
