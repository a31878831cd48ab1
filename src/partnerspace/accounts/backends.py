from django.contrib.auth.backends import BaseBackend
from django.db import DEFAULT_DB_ALIAS

from partnerspace.accounts.models import User, email_key
from partnerspace.core.lookups import ReadByIds, model_columns


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
        """The session's user, on every request: by SQL compiled once (core.lookups)."""
        try:
            found = _USERS.rows([int(user_id)])
        except (TypeError, ValueError):
            return None
        if not found:
            return None
        user = User.from_db(DEFAULT_DB_ALIAS, _USER_COLUMNS, found[0])
        return user if user.is_active else None


_USER_COLUMNS = model_columns(User)
_USERS = ReadByIds(lambda ids: User.objects.filter(pk__any_of=ids).values_list(*_USER_COLUMNS))
