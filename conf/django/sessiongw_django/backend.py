"""GatewayBackend: a Django user for the name sessiongw validated.

Users are created on first sight (with an unusable password: they sign in
at the gateway, never with a Django password form); is_staff and
is_superuser follow X-Session-Admin on every request, so making someone
an admin or not is done in one place: `sessiongw user add --admin`.
"""
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# The gateway's rule (and Django's default username rule, ASCII).
NAME_RE = re.compile(r"\A[A-Za-z0-9@.+_-]{1,150}\Z")


class GatewayBackend(ModelBackend):
    """authenticate(request, sessiongw_user=NAME, sessiongw_admin=BOOL)."""

    def authenticate(self, request, sessiongw_user=None, sessiongw_admin=False,
                     **kwargs):
        if not sessiongw_user or not NAME_RE.match(sessiongw_user):
            return None
        User = get_user_model()
        user, created = User._default_manager.get_or_create(
            **{User.USERNAME_FIELD: sessiongw_user})
        changed = []
        if created:
            user.set_unusable_password()
            changed.append("password")
        admin = bool(sessiongw_admin)
        for field, value in (("is_staff", admin), ("is_superuser", admin),
                             ("is_active", True)):
            if getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        return user

    def user_can_authenticate(self, user):
        # The gateway already decided: a locked user never gets here.
        return True
