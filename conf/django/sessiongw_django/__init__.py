"""Django glue for sessiongw: the gateway in front of nginx signs users in;
Django trusts the identity headers nginx sets from the gateway's answer.

    INSTALLED_APPS += ["sessiongw_django"]
    MIDDLEWARE: "sessiongw_django.middleware.GatewayUserMiddleware" right
                after "django.contrib.auth.middleware.AuthenticationMiddleware"
    AUTHENTICATION_BACKENDS = ["sessiongw_django.backend.GatewayBackend"]

See conf/django/settings_snippet.py and README "Put it in front of Django".
"""
