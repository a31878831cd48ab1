from django.utils.functional import SimpleLazyObject

from partnerspace.firms.selectors import memberships_of_user


def current_firm(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "membership": membership,
        "firm": membership.firm if membership else None,
        # Only queried when the firm switcher is drawn.
        "user_memberships": SimpleLazyObject(lambda: list(memberships_of_user(user))),
    }
