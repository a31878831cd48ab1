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
        # A firm page has them from its door (firms.access); elsewhere they are only queried
        # when the firm switcher is drawn.
        "user_memberships": getattr(membership, "user_memberships", None)
        or SimpleLazyObject(lambda: list(memberships_of_user(user))),
    }
