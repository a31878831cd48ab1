"""The door of every firm page: who is asking, in which firm, with which roles."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from partnerspace.firms.selectors import membership_get_for_user


def firm_view(permission: str | None = None):
    """Resolve `firm_slug` to the user's Membership (404 outside it) and check a role permission.

    The membership lands on `request.membership`; views pass it to selectors and services,
    which is how every read of tenant data is scoped to the firm.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, firm_slug, *args, **kwargs):
            membership = membership_get_for_user(user=request.user, firm_slug=firm_slug)
            if permission and not getattr(membership, permission):
                raise PermissionDenied
            request.membership = membership
            request.firm = membership.firm
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
