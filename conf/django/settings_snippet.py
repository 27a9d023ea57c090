# settings_snippet.py - add to your Django settings.py to put the site
# behind sessiongw (conf/django/README-style notes in the project README,
# "Put it in front of Django"). Put conf/django on the Python path, or copy
# the sessiongw_django package next to your apps.

INSTALLED_APPS += ["sessiongw_django"]  # noqa: F821 (manage.py sessiongw_sync)

# request.user from X-Session-User, right after Django's own
# AuthenticationMiddleware. Keep SessionMiddleware and CsrfViewMiddleware:
# Django's session and CSRF protection keep working beside the gateway.
_auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
MIDDLEWARE.insert(MIDDLEWARE.index(_auth) + 1,  # noqa: F821
                  "sessiongw_django.middleware.GatewayUserMiddleware")

# Users come from the gateway; no Django password is ever checked.
AUTHENTICATION_BACKENDS = ["sessiongw_django.backend.GatewayBackend"]

# Django's cookies keep their own names, distinct from the gateway's
# ([session] cookie_name = sessiongw): the two must never collide.
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"

# Sign-in and sign-out are the gateway's pages.
LOGIN_URL = "/session/login"
LOGOUT_REDIRECT_URL = "/"

# The cache helpers (sessiongw_django.cache): the gateway through nginx.
SESSIONGW_URL = "http://127.0.0.1:8080/session"
SESSIONGW_COOKIE_NAME = "sessiongw"
SESSIONGW_TIMEOUT = 2.0

# Django must be reachable only through nginx (gunicorn on a unix socket or
# 127.0.0.1): a client that reaches it directly could send X-Session-User.
