from django.contrib.auth.backends import BaseBackend

from partnerspace.accounts.models import User, email_key


class EmailBackend(BaseBackend):
    """Log in with e-mail address and password, whatever case the address is typed in."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = email or username
        if not address or password is None:
            return None
        try:
            user = User.objects.get(email=email_key(address))
        except User.DoesNotExist:
            # Hash anyway, so a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id):
        try:
            user = User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None
