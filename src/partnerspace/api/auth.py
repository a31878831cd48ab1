from django.utils import translation
from ninja.security import HttpBearer

from partnerspace.api.selectors import membership_for_api_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the request acts as the token's membership of one firm."""

    def authenticate(self, request, token):
        membership = membership_for_api_token(token)
        if membership is None:
            return None
        request.membership = membership
        request.firm = membership.firm
        # Messages in API answers speak the token owner's language, like their pages do.
        translation.activate(membership.user.language)
        request.LANGUAGE_CODE = membership.user.language
        return membership
