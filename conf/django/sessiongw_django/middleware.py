"""GatewayUserMiddleware: request.user from the headers nginx sets.

nginx sets X-Session-User / -User-Id / -Admin from the gateway's answer to
auth_request, and to "" in every other location that reaches Django (the
snippets conf/nginx/sessiongw-app-*.conf). So:

- a request with X-Session-User is that user, on that request only;
- a request without it is anonymous, whatever Django's own session holds:
  a gateway sign-out is a Django sign-out on the next request, and a
  session the gateway revoked or expired can never linger in Django;
- nothing is written to request.session: Django's own session (a cart,
  messages, preferences) and its CSRF cookie keep working beside the
  gateway's cookie, on protected and public pages alike.

Put it right after django.contrib.auth.middleware.AuthenticationMiddleware.
"""
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

USER_HEADER = "HTTP_X_SESSION_USER"
USER_ID_HEADER = "HTTP_X_SESSION_USER_ID"
ADMIN_HEADER = "HTTP_X_SESSION_ADMIN"


class GatewayUserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "user"):
            raise ImproperlyConfigured(
                "GatewayUserMiddleware needs AuthenticationMiddleware before it")
        name = request.META.get(USER_HEADER, "")
        user = None
        if name:
            user = auth.authenticate(
                request, sessiongw_user=name,
                sessiongw_admin=request.META.get(ADMIN_HEADER, "") == "1")
        if user is not None:
            # The backend path lets has_perm() and friends work as usual.
            user.backend = "sessiongw_django.backend.GatewayBackend"
            request.sessiongw_user_id = request.META.get(USER_ID_HEADER, "")
        request.user = user if user is not None else AnonymousUser()
        request._cached_user = request.user
        return self.get_response(request)
